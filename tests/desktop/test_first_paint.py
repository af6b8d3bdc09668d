"""What waits for the main window's first paint still happens, and nothing logged is lost."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from meterai.logs import LOG_NAME, setup_logging
from meterai.settings import Paths
from meterai_desk.first_paint import HeldRecords, after_first_paint


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
