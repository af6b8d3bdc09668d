"""A package's ``__init__`` deferred to its first use: checking a stamp loads no signer."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from meterai import lazyinit
from meterai.sandbox import SandboxServer
from tests.support.api_client import DEFAULT_BOX, ApiClient
from tests.support.pdfs import make_pdf


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package whose ``__init__`` counts its runs in a file and binds ``NAME``."""
    root = tmp_path / "lazy_probe_pkg"
    root.mkdir()
    (root / "__init__.py").write_text(
        "import pathlib\n"
        "_runs = pathlib.Path(__file__).with_name('runs')\n"
        "_runs.write_text(str(int(_runs.read_text() or 0) + 1) if _runs.exists() else '1')\n"
        "from .sub import VALUE\n"
        "NAME = VALUE + 1\n"
    )
    (root / "sub.py").write_text("VALUE = 41\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "lazy_probe_pkg"
    for name in [m for m in sys.modules if m.split(".")[0] == "lazy_probe_pkg"]:
        del sys.modules[name]


def _runs(name: str) -> int:
    runs = Path(sys.modules[name].__path__[0]) / "runs"
    return int(runs.read_text()) if runs.exists() else 0


def test_a_submodule_loads_without_the_init_which_runs_once_at_first_use(package: str) -> None:
    assert lazyinit.defer_init(package)
    import lazy_probe_pkg.sub  # type: ignore[import-not-found]
    from lazy_probe_pkg.sub import VALUE  # type: ignore[import-not-found]

    assert (lazy_probe_pkg.sub.VALUE, VALUE, _runs(package)) == (41, 41, 0)
    assert not hasattr(lazy_probe_pkg, "__wrapped__")  # inspect's probe, as PySide's hook asks
    assert lazyinit.is_deferred(package)

    from lazy_probe_pkg import NAME

    assert (NAME, _runs(package)) == (42, 1)
    assert not lazyinit.is_deferred(package)
    assert sys.modules[package].NAME == 42
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = sys.modules[package].missing
    assert _runs(package) == 1


def test_an_init_that_fails_fails_again_at_the_next_use(package: str) -> None:
    init = Path(sys.path[0]) / package / "__init__.py"
    init.write_text("raise RuntimeError('broken package')\n")
    assert lazyinit.defer_init(package)
    for _attempt in range(2):
        with pytest.raises(RuntimeError, match="broken package"):
            _ = sys.modules[package].NAME
    assert lazyinit.is_deferred(package)


def test_an_imported_package_is_left_as_it_is() -> None:
    assert not lazyinit.defer_init("json")
    assert not lazyinit.defer_init("no_such_package_anywhere")


_CHECK = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from meterai.verify import Expectation, load_checker, load_trust_roots, verify_stamped

    stamped, original, ca, sn, box = sys.argv[1:6]
    load_checker()
    report = verify_stamped(
        Path(stamped),
        load_trust_roots([Path(ca)]),
        Expectation(Path(original), page_index=0, rect=tuple(json.loads(box)), serial_number=sn),
    )
    loaded = {m: m in sys.modules for m in ("aiohttp", "pyhanko.sign.signers")}
    from pyhanko.sign import PdfSigner, signers
    print(json.dumps({
        "ok": report.ok,
        "before": loaded,
        "after": "aiohttp" in sys.modules and signers.PdfSigner is PdfSigner,
    }))
    """
)


def test_checking_a_stamp_loads_neither_the_signers_nor_aiohttp(tmp_path: Path) -> None:
    """A counter's ``sync --once`` checks every stamp and never signs: pyHanko's signing
    API (and aiohttp behind it) cost each counter 0.25 CPU-s before this deferral; the
    same process can still sign afterwards."""
    with SandboxServer(tmp_path / "sandbox") as sandbox:
        api = ApiClient(sandbox, timeout=60)
        try:
            api.login()
            original = make_pdf(tmp_path / "doc.pdf")
            sn, data = api.full_stamp(original, page=1)
        finally:
            api.close()
        ca = sandbox.ca_file
    stamped = tmp_path / "stamped.pdf"
    stamped.write_bytes(data)
    args = [str(stamped), str(original), str(ca), sn, json.dumps(list(DEFAULT_BOX))]
    done = subprocess.run(
        [sys.executable, "-c", _CHECK, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "ok": True,
        "before": {"aiohttp": False, "pyhanko.sign.signers": False},
        "after": True,
    }
