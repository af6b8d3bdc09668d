"""Desktop tests run offscreen, with real widgets, a real outbox and the embedded sandbox."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from meterai.settings import Paths, Settings
from meterai_desk.dialogs.add_dialog import AddDialog
from meterai_desk.main_window import MainWindow
from meterai_desk.sync_bridge import SyncBridge
from meterai_desk.tasks import TaskRunner

WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def open_window(qtbot: QtBot) -> Iterator[WindowFactory]:
    """Open main windows (optionally syncing against the embedded sandbox); close them all."""
    opened: list[MainWindow] = []

    def factory(paths: Paths, *, sync: bool = False) -> MainWindow:
        tasks = TaskRunner(paths)
        settings = Settings()
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
    gc.collect()


def add_and_wait(qtbot: QtBot, window: MainWindow, pdf: Path) -> AddDialog:
    window.add_files([pdf])
    qtbot.waitUntil(lambda: window.adder.dialog is not None, timeout=5000)
    dialog = window.adder.dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.ready, timeout=10000)
    return dialog


def drag(qtbot: QtBot, dialog: AddDialog, delta: QPointF) -> None:
    canvas = dialog.pages.canvas
    start = canvas.stamp.scene_rect().center()
    viewport = canvas.viewport()
    a, b = canvas.mapFromScene(start), canvas.mapFromScene(start + delta)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
    qtbot.mouseMove(viewport, (a + b) / 2)
    qtbot.mouseMove(viewport, b)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=b)


def describe(qtbot: QtBot, dialog: AddDialog, search: str = "keterangan") -> None:
    """Type part of a type's name and pick the one match the searchable list offers."""
    form = dialog.form
    qtbot.waitUntil(lambda: form.doc_type.count() > 0)
    form.doc_type.lineEdit().clear()
    qtbot.keyClicks(form.doc_type.lineEdit(), search)
    popup = form.doc_type.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.keyClicks(form.nodoc, "SP-001/2026")
    qtbot.keyClicks(form.value, "1.500.000")
