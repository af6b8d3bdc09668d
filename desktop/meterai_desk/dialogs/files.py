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
