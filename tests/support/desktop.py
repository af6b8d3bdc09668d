"""Driving the real main window and add dialog as a user does: drop a file, drag the stamp, type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from pytestqt.qtbot import QtBot

from meterai_desk.dialogs.add_dialog import AddDialog
from meterai_desk.main_window import MainWindow

WindowFactory = Callable[..., MainWindow]


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
