"""``meterai`` with a crash point: SIGKILL this process at the n-th hit of a protocol point.

Usage: ``python -m tests.support.crashing_sync POINT[@N] ARGS...`` runs ``meterai ARGS...``
with every sync runner's protocol points (``Engine.point``, injected through ``SyncRunner``) hooked:
the n-th time POINT is reached the process kills itself, as a power cut would. The
production code only offers the injection point; the test that kills lives here.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable

from meterai.cli import sync as cli_sync
from meterai.cli.main import run
from meterai.sync.runner import SyncRunner


def crash_point(spec: str) -> Callable[[str], None]:
    """The point for ``name[@n]``: a no-op until the n-th hit of ``name``."""
    name, _, nth = spec.partition("@")
    remaining = [int(nth or "1")]

    def point(hit: str) -> None:
        if hit == name:
            remaining[0] -= 1
            if remaining[0] <= 0:
                # Windows has no SIGKILL: there os.kill ends the process whatever the number.
                os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))

    return point


if __name__ == "__main__":
    spec, *args = sys.argv[1:]
    cli_sync.SyncRunner = functools.partial(SyncRunner, point=crash_point(spec))
    sys.exit(run(args))
