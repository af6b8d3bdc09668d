"""The file chooser, behind a classmethod so tests can answer it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from meterai.i18n import _


class OpenFilesDialog:
    @classmethod
    def ask(cls, parent: QWidget | None) -> list[Path]:
        names, _filter = QFileDialog.getOpenFileNames(
            parent, _("Choose PDF documents to stamp"), "", _("PDF documents (*.pdf)")
        )
        return [Path(name) for name in names]
