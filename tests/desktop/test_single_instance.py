"""One window per data folder: a later launch hands its files to the running one.

Before: ``meterai-desk file.pdf`` ignored the file, and every "Open with" started a
second window and a second engine on the same outbox.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from PySide6.QtNetwork import QLocalSocket
from pytestqt.qtbot import QtBot

from meterai.logs import LOG_NAME
from meterai.settings import Paths
from meterai_desk import app, single_instance
from meterai_desk.single_instance import SingleInstance, hand_over
from tests.support.desktop import WindowFactory
from tests.support.pdfs import make_pdf

DESK = Path(sys.executable).with_name("meterai-desk")


@pytest.fixture
def first(paths: Paths) -> Iterator[SingleInstance]:
    instance = SingleInstance(paths.data_dir)
    assert instance.claim()
    yield instance
    instance.release()


def _hand_over_in_background(name: str, files: list[Path]) -> list[bool]:
    """The later launch blocks on its socket; the first one answers from this event loop."""
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(hand_over(name, files, 10)))
    thread.start()
    return result


def test_a_second_claim_on_the_same_folder_is_refused(first: SingleInstance, paths: Paths) -> None:
    assert not SingleInstance(paths.data_dir).claim()


def test_each_data_folder_has_its_own_instance(first: SingleInstance, tmp_path: Path) -> None:
    other = SingleInstance(tmp_path / "elsewhere")
    try:
        assert other.claim()
        assert other.name != first.name
    finally:
        other.release()
    assert SingleInstance(tmp_path / "data").name == first.name  # a later launch finds it


def test_files_handed_over_arrive_on_the_gui_thread(
    qtbot: QtBot, first: SingleInstance, tmp_path: Path
) -> None:
    files = [tmp_path / "surat kuasa.pdf", tmp_path / "ijazah ✓.pdf"]
    with qtbot.waitSignal(first.received, timeout=10000) as blocker:
        result = _hand_over_in_background(first.name, files)
    assert blocker.args == [files]
    qtbot.waitUntil(lambda: result == [True], timeout=10000)


def test_junk_on_the_socket_is_dropped_and_the_next_hand_over_still_works(
    qtbot: QtBot, first: SingleInstance, tmp_path: Path
) -> None:
    received: list[object] = []
    first.received.connect(received.append)
    junk = QLocalSocket()
    junk.connectToServer(first.name)
    assert junk.waitForConnected(5000)
    junk.write(b'{"files": [1, 2]}\n')
    junk.waitForBytesWritten(5000)
    qtbot.waitUntil(lambda: junk.state() == QLocalSocket.LocalSocketState.UnconnectedState)
    assert received == []
    with qtbot.waitSignal(first.received, timeout=10000):
        result = _hand_over_in_background(first.name, [tmp_path / "a.pdf"])
    qtbot.waitUntil(lambda: result == [True], timeout=10000)


def test_nobody_listening_means_no_hand_over(tmp_path: Path) -> None:
    started = time.monotonic()
    assert not hand_over(SingleInstance(tmp_path / "nobody").name, [tmp_path / "a.pdf"], 1)
    assert time.monotonic() - started < 5


_CLAIM_AND_WAIT = """
import sys, time
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from meterai_desk.single_instance import SingleInstance
app = QCoreApplication([])
instance = SingleInstance(Path(sys.argv[1]))
assert instance.claim()
print("claimed", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_the_lock_and_socket_of_a_killed_instance_are_taken_over(
    qtbot: QtBot, paths: Paths, tmp_path: Path
) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", _CLAIM_AND_WAIT, str(paths.data_dir)], stdout=subprocess.PIPE
    ) as dead:
        assert dead.stdout is not None and dead.stdout.readline() == b"claimed\n"
        assert not SingleInstance(paths.data_dir).claim()
        dead.send_signal(signal.SIGKILL)
    heir = SingleInstance(paths.data_dir)
    try:
        assert heir.claim()
        with qtbot.waitSignal(heir.received, timeout=10000):
            result = _hand_over_in_background(heir.name, [tmp_path / "a.pdf"])
        qtbot.waitUntil(lambda: result == [True], timeout=10000)
    finally:
        heir.release()


def test_a_first_window_that_does_not_answer_is_said_not_to_hang(
    paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It holds the lock but its event loop is stuck: the later launch says so and ends."""
    monkeypatch.setattr(single_instance, "HAND_OVER_TIMEOUT_S", 1.0)
    said: list[str] = []
    monkeypatch.setattr(app, "say_it_failed", said.append)
    monkeypatch.setattr(app, "setup_logging", lambda _paths: None)  # pytest's log stays
    with subprocess.Popen(
        [sys.executable, "-c", _CLAIM_AND_WAIT, str(paths.data_dir)], stdout=subprocess.PIPE
    ) as stuck:
        assert stuck.stdout is not None and stuck.stdout.readline() == b"claimed\n"
        try:
            code = app.main(["--data-dir", str(paths.data_dir), "--lang", "en", "a.pdf"])
        finally:
            stuck.kill()
    assert code == 1
    assert said and said[0].startswith("Meterai Desk is already running but does not answer")


def _launch(data_dir: Path, *args: str, home: Path) -> subprocess.Popen[bytes]:
    """``meterai-desk`` as a file manager starts it; what it prints goes to ``home``."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home)}
    with (home / "desk.out").open("ab") as out:
        return subprocess.Popen(
            [str(DESK), "--data-dir", str(data_dir), "--no-sync", *args],
            env=env,
            stdout=out,
            stderr=out,
        )


def test_a_second_launch_gives_its_file_to_the_open_window(
    qtbot: QtBot, paths: Paths, tmp_path: Path, open_window: WindowFactory
) -> None:
    """The window is this test's; the second launch is the real ``meterai-desk``."""
    instance = SingleInstance(paths.data_dir)
    assert instance.claim()
    try:
        window = open_window(paths)
        instance.received.connect(window.open_files)
        window.hide()  # in the tray: the hand-over brings it back
        window.add_files([make_pdf(tmp_path / "a.pdf")])
        qtbot.waitUntil(lambda: window.adder.dialog is not None, timeout=10000)
        first_dialog = window.adder.dialog
        assert first_dialog is not None and first_dialog.path.name == "a.pdf"

        later = _launch(paths.data_dir, str(make_pdf(tmp_path / "b.pdf")), home=tmp_path)
        qtbot.waitUntil(lambda: later.poll() is not None, timeout=30000)
        assert later.returncode == 0, (tmp_path / "desk.out").read_text()
        assert window.isVisible()

        first_dialog.reject()  # b.pdf's dialog comes next, in the same window
        qtbot.waitUntil(lambda: window.adder.dialog not in (None, first_dialog), timeout=10000)
        assert window.adder.dialog is not None and window.adder.dialog.path.name == "b.pdf"
    finally:
        instance.release()


@pytest.mark.slow
def test_launched_twice_with_a_file_each_one_process_two_add_flows(
    paths: Paths, tmp_path: Path
) -> None:
    a, b = make_pdf(tmp_path / "a.pdf"), make_pdf(tmp_path / "b.pdf")
    log = paths.logs_dir / LOG_NAME
    first = _launch(paths.data_dir, str(a), home=tmp_path)
    try:
        _wait_for(lambda: "add flow: a.pdf" in _read(log), 60, "the first window's add flow")
        second = _launch(paths.data_dir, str(b), home=tmp_path)
        assert second.wait(60) == 0
        _wait_for(lambda: "add flow: b.pdf" in _read(log), 10, "b.pdf in the first window")
        assert first.poll() is None
        desks = [p for p in psutil.process_iter(["cmdline"]) if _is_desk_on(p, paths.data_dir)]
        assert [p.pid for p in desks] == [first.pid]
    finally:
        first.terminate()
        first.wait(30)


def _read(log: Path) -> str:
    return log.read_text(encoding="utf-8") if log.exists() else ""


def _wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s: {what}")


def _is_desk_on(process: psutil.Process, data_dir: Path) -> bool:
    cmdline = process.info["cmdline"] or []
    return any("meterai-desk" in part for part in cmdline[:2]) and str(data_dir) in cmdline
