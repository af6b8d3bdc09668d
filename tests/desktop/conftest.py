"""Desktop tests run offscreen, with real widgets, a real outbox and the embedded sandbox."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from meterai.settings import Paths, Settings
from meterai_desk.main_window import MainWindow
from meterai_desk.sync_bridge import SyncBridge
from meterai_desk.tasks import TaskRunner
from tests.support.desktop import WindowFactory


@pytest.fixture
def open_window(qtbot: QtBot) -> Iterator[WindowFactory]:
    """Open main windows (optionally syncing against the embedded sandbox); close them all."""
    opened: list[MainWindow] = []

    def factory(
        paths: Paths, *, sync: bool = False, settings: Settings | None = None
    ) -> MainWindow:
        tasks = TaskRunner(paths)
        settings = settings or Settings()
        bridge = SyncBridge(paths, settings, tasks) if sync else None
        window = MainWindow(paths, tasks, bridge, settings)
        # Not qtbot.addWidget: its teardown closes windows before this fixture's, and a
        # syncing window with pending requests would then ask its (modal) question.
        window.show()
        qtbot.waitExposed(window)
        opened.append(window)
        return window

    yield factory
    for window in opened:
        dialog = window.adder.dialog
        if dialog is not None:
            dialog.close()
            dialog.deleteLater()
        window.quit_now()
        window.deleteLater()
    # Destroy them now, while the QApplication lives: left to the garbage collector at
    # interpreter exit, PySide6 aborts in none_dealloc.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.unfreeze()  # what the sync start froze (``sync_bridge``) must go with its window
    gc.collect()
