"""The real ``meterai-desk`` process: ended however it ends, it leaves no sandbox behind.

Before: the embedded sandbox, a child process, kept running after the app was ended
with SIGTERM (a logout, a task manager) or SIGKILL, reparented to init.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

DESK = Path(sys.executable).with_name("meterai-desk")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.name != "posix", reason="POSIX signals"),
]


def _gone(process: psutil.Process) -> bool:
    """Ended: a zombie counts, its parent (init, in a container maybe not reaping) is not us."""
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s: {what}")


def _listening(process: psutil.Process) -> bool:
    try:
        return any(c.status == psutil.CONN_LISTEN for c in process.net_connections("tcp"))
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], psutil.Process]]:
    """The app, started offscreen on a fresh data folder, and its sandbox child once it serves."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path / "home")}
    app = subprocess.Popen(
        [str(DESK), "--data-dir", str(tmp_path / "data")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[psutil.Process] = []
    try:

        def sandbox_serving() -> bool:
            children[:] = [
                c for c in psutil.Process(app.pid).children() if "sandbox" in c.cmdline()
            ]
            return bool(children) and _listening(children[0])

        _wait(sandbox_serving, 60, "the app's sandbox child to listen")
        yield app, children[0]
    finally:
        if app.poll() is None:
            app.kill()
        app.wait(30)
        for child in children:
            if not _gone(child):
                child.kill()


def test_sigterm_quits_the_app_cleanly_and_stops_its_sandbox(
    desk: tuple[subprocess.Popen[bytes], psutil.Process],
) -> None:
    app, sandbox = desk
    app.send_signal(signal.SIGTERM)
    assert app.wait(30) == 0  # quit like the Quit menu, not killed by the signal
    _wait(lambda: _gone(sandbox), 5, f"sandbox {sandbox.pid} to end")


def test_sigkill_of_the_app_still_ends_its_sandbox(
    desk: tuple[subprocess.Popen[bytes], psutil.Process],
) -> None:
    app, sandbox = desk
    app.kill()
    assert app.wait(30) == -signal.SIGKILL
    _wait(lambda: _gone(sandbox), 5, f"sandbox {sandbox.pid} to end")
