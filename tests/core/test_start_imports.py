"""What a counter's ``sync --once`` loads at its start: nothing it never runs.

Each counter process pays its imports again (three counters: three times, on the same
two cores as the sandbox and the database), so what was taken out stays out."""

from __future__ import annotations

import subprocess
import sys

# Loaded by the sync command, the provider's client and link, the shared database and
# the checker (``load_checker``), as a counter's start does.
_START = (
    "import sys\n"
    "import meterai.cli.main, meterai.cli.sync, meterai.provider.link\n"
    "import meterai.outbox.postgres.shared, meterai.outbox.postgres.backend\n"
    "from meterai.verify import load_checker\n"
    "load_checker()\n"
    "import httpx\n"
    "loaded = [m for m, module in sys.modules.items() if module is not None]\n"
    "print(' '.join(sorted(m for m in loaded if m.split('.')[0] in {names!r}\n"
    "    or m in {modules!r})))\n"
)

# aiohttp and pyHanko's signers: behind pyhanko.sign's __init__ (meterai.lazyinit);
# click, rich, pygments: httpx's command line (meterai/__init__.py).
NEVER_PACKAGES = ("aiohttp", "click", "rich", "pygments")
NEVER_MODULES = ("pyhanko.sign.signers", "pyhanko.sign.timestamps", "httpx._main")


def test_a_counters_start_loads_no_signer_no_aiohttp_and_no_httpx_command_line() -> None:
    probe = _START.format(names=NEVER_PACKAGES, modules=NEVER_MODULES)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == ""


def test_httpx_still_offers_its_command_lines_replacement() -> None:
    """httpx's ``main`` is its own stand-in for a missing command line: it says how to
    install it, and our processes never call it."""
    probe = "import meterai, httpx; httpx.main()"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "httpx[cli]" in done.stdout


_WARMING = (
    "import gc, sys, threading\n"
    "from meterai.cli.sync import _keep_what_the_start_built\n"
    "moved, finished = threading.Event(), threading.Event()\n"
    "warming = threading.Thread(target=_keep_what_the_start_built, args=(moved, finished))\n"
    "warming.start()\n"
    "warming.join(0.3)\n"
    "print('before', 'pyhanko.sign.validation' in sys.modules, warming.is_alive())\n"
    "{end}\n"
    "moved.set()\n"
    "warming.join(60)\n"
    "print('after', 'pyhanko.sign.validation' in sys.modules, gc.get_freeze_count() > 0)\n"
)


def _warming(end: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _WARMING.format(end=end)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.splitlines()


def test_the_checker_is_loaded_after_the_first_move_not_during_the_start() -> None:
    """At three counters on two cores, each counter's checker (0.25 CPU-s of pyHanko)
    loaded during the start held the other counters' first uploads back."""
    assert _warming("") == ["before False True", "after True True"]


def test_a_run_that_moved_nothing_never_loads_the_checker() -> None:
    assert _warming("finished.set()") == ["before False True", "after False False"]
