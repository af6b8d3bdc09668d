"""Closing the window while requests are still on their way: keep going, or later?

Either answer is safe, because every request is in the outbox on disk; the
question is only whether the stamps should keep moving now (in the tray) or at the
next start. The window asks rather than guessing, since a closed laptop lid and a
closed window mean different things to different people.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtWidgets import QMessageBox, QWidget

from meterai.i18n import _


class CloseChoice(Enum):
    TRAY = "tray"
    LATER = "later"
    STAY = "stay"


class CloseDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, pending: int, tray_available: bool) -> CloseChoice:
        """Ask modally (tests replace this); Escape keeps the window open."""
        box = QMessageBox(parent)
        box.setObjectName("closeDialog")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(_("Meterai Desk"))
        box.setText(_("Documents still on their way: {count}.").format(count=pending))
        box.setInformativeText(
            _("Nothing is lost either way: every request is saved and continues where it left off.")
        )
        tray = None
        if tray_available:
            tray = box.addButton(_("Keep syncing in the tray"), QMessageBox.ButtonRole.AcceptRole)
        later = box.addButton(_("Resume at next start"), QMessageBox.ButtonRole.DestructiveRole)
        stay = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(tray or later)
        box.setEscapeButton(stay)
        box.exec()
        clicked = box.clickedButton()
        if tray is not None and clicked is tray:
            return CloseChoice.TRAY
        if clicked is later:
            return CloseChoice.LATER
        return CloseChoice.STAY
