"""The GUI thread hands work to the TaskRunner without ever waiting for a thread to start.

Escaped bug (flakes lane, item c): test_the_gui_thread_never_stalls_* went over its
100 ms at load > 10. One stall, 355 ms, had the GUI thread inside
``ThreadPoolExecutor.submit``: with no idle worker the pool starts a thread there, and
``Thread.start()`` waits until that thread has run, behind the scheduler and the GIL.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from meterai.settings import resolve_paths
from meterai_desk.tasks import TaskRunner


def test_running_tasks_from_the_gui_thread_never_starts_a_thread(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = TaskRunner(resolve_paths(tmp_path / "data"))
    started_on_gui: list[str] = []
    real_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        if threading.current_thread() is threading.main_thread():
            started_on_gui.append(thread.name)
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    release = threading.Event()
    done: list[int] = []
    for i in range(4):  # every worker of the pool busy at once, then the database thread
        tasks.run(lambda i=i: release.wait(10) and i, done.append)
    tasks.db(lambda _box: 4, done.append)
    release.set()
    qtbot.waitUntil(lambda: sorted(done) == [0, 1, 2, 3, 4], timeout=10000)
    tasks.shutdown()

    assert started_on_gui == []
