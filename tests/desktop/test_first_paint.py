"""What waits for the main window's first paint still happens, and nothing logged is lost."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtWidgets import QApplication, QMainWindow
from pytestqt.qtbot import QtBot

from meterai.logs import LOG_NAME, setup_logging
from meterai.settings import Paths
from meterai_desk.first_paint import HeldRecords, after_first_paint
from meterai_desk.main_window import MainWindow
from meterai_desk.sync_bridge import SyncBridge
from tests.support.desktop import WindowFactory


def test_records_logged_before_the_log_file_exists_are_written_to_it_in_order(
    paths: Paths,
) -> None:
    log = logging.getLogger("meterai.test.first_paint")
    held = HeldRecords()
    handler = None
    try:
        log.info("one before the paint")
        log.warning("two before the paint, token=abc123")
        handler = setup_logging(paths)
        held.hand_to(handler)
        log.info("three after")
        held.hand_to(handler)  # a second hand-over changes nothing
    finally:
        held.hand_to(None)
        if handler is not None:
            logging.getLogger().removeHandler(handler)
            handler.close()
    lines = [
        line
        for line in (paths.logs_dir / LOG_NAME).read_text(encoding="utf-8").splitlines()
        if "meterai.test.first_paint" in line
    ]
    assert [line.rsplit(": ", 1)[1] for line in lines] == [
        "one before the paint",
        "two before the paint, token=[REDACTED]",
        "three after",
    ]
    assert held not in logging.getLogger().handlers


def test_work_after_the_first_paint_runs_once_the_window_is_exposed(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    seen: list[bool] = []

    def work() -> None:
        handle = window.windowHandle()
        seen.append(handle is not None and handle.isExposed())

    after_first_paint(window, work)
    qtbot.wait(100)  # not shown yet: the work waits
    assert seen == []
    window.show()
    qtbot.waitUntil(lambda: seen == [True], timeout=5000)
    qtbot.wait(50)
    assert seen == [True]


def test_a_window_closed_before_its_first_paint_cancels_the_work(qtbot: QtBot) -> None:
    window = QMainWindow()
    seen: list[str] = []
    after_first_paint(window, lambda: seen.append("ran"))
    window.deleteLater()
    qtbot.wait(200)  # no "Internal C++ object already deleted" from the waiting timer
    assert seen == []


def test_the_sync_starts_after_the_first_paint_once_the_table_is_built(
    qtbot: QtBot, paths: Paths, monkeypatch: pytest.MonkeyPatch, open_window: WindowFactory
) -> None:
    """The Qt classes the first rows need are built before the sync workers want the GIL.

    Built mid-sync instead, they stalled the GUI thread (test_the_gui_thread_never_stalls*).
    The keyboard shortcuts (set after the paint, see ``MainWindow._set_shortcuts``) are in
    place by then too.
    """
    seen: list[tuple[bool, bool, bool]] = []

    def start(bridge: SyncBridge) -> None:
        # This test's window is the one this bridge serves: an earlier test's window may
        # still be alive (it failed here after test_sync_flow, run in that order).
        (window,) = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, MainWindow) and w.bridge is bridge
        ]
        handle = window.windowHandle()
        exposed = handle is not None and handle.isExposed()
        keys = [key.toString() for key in window.add_action.shortcuts()]
        seen.append((exposed, window._outbox_view is not None, "Ctrl+O" in keys))

    monkeypatch.setattr(SyncBridge, "start", start)
    open_window(paths, sync=True)
    qtbot.waitUntil(lambda: seen != [], timeout=5000)
    qtbot.wait(50)
    assert seen == [(True, True, True)]
