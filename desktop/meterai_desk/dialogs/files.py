"""The file choosers, behind classmethods so tests can answer them, and the row a chosen
path is shown in."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget

from meterai.i18n import _


class OpenFilesDialog:
    @classmethod
    def ask(cls, parent: QWidget | None) -> list[Path]:
        names, _filter = QFileDialog.getOpenFileNames(
            parent, _("Choose PDF documents to stamp"), "", _("PDF documents (*.pdf)")
        )
        return [Path(name) for name in names]


class ReplacementFileDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, file_name: str) -> Path | None:
        """The corrected document for a request the stamping service refused; None: keep it."""
        name, _filter = QFileDialog.getOpenFileName(
            parent,
            _("Choose the corrected document for {file}").format(file=file_name),
            "",
            _("PDF documents (*.pdf)"),
        )
        return Path(name) if name else None


def path_row(parent: QWidget, edit: QLineEdit, button: QPushButton) -> QWidget:
    """A path field and its "Choose…" button on one form line, the field taking the width."""
    row = QWidget(parent)
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(button)
    return row
