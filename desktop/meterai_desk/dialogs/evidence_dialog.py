"""Simpan bukti (Save evidence): one request's evidence zip for a refund or helpdesk claim.

The dialog shows what the zip will hold (the summary PDF in both languages, the
journal, the request's log lines without secrets, the stamped file if any) and where
it goes; the zip is written by ``meterai.evidence``, the same code as ``meterai
evidence``, on the work pool. The facts were gathered on the database thread before
the dialog opened: the GUI thread reads no file and no database.
"""

from __future__ import annotations

import logging
from html import escape
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meterai.errors import MeteraiError
from meterai.evidence import Evidence, write_bundle
from meterai.i18n import _
from meterai.outbox.states import state_label
from meterai_desk.dialogs.files import path_row
from meterai_desk.qtranslator import follow_language
from meterai_desk.tasks import TaskRunner

log = logging.getLogger(__name__)

_SAVED, _FAILED = "#1b7a2e", "#b3261e"


class EvidenceFileDialog:
    @classmethod
    def ask(cls, parent: QWidget | None, suggested: Path) -> Path | None:
        name, _filter = QFileDialog.getSaveFileName(
            parent, _("Save the evidence as"), str(suggested), _("Zip files (*.zip)")
        )
        if not name:
            return None
        path = Path(name)
        return path if path.suffix.lower() == ".zip" else path.with_name(path.name + ".zip")


def suggested_path(request_id: int) -> Path:
    """In the user's Documents folder, named in Indonesian as the claim forms ask."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(folder or str(Path.home())) / f"bukti-meterai-{request_id}.zip"


class EvidenceDialog(QDialog):
    def __init__(self, tasks: TaskRunner, evidence: Evidence, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("evidenceDialog")
        self.tasks, self.evidence = tasks, evidence
        self.saved: Path | None = None
        self.failure: BaseException | None = None
        self._build()
        self.resize(620, 440)
        follow_language(self, self.retranslate)

    def _build(self) -> None:
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.facts = QFormLayout()
        self.contents = QLabel(self)
        self.contents.setObjectName("contents")
        self.contents.setWordWrap(True)
        self.dest = QLineEdit(str(suggested_path(self.evidence.request.id)), self)
        self.dest.setObjectName("destination")
        self.choose = QPushButton(self)
        self.choose.clicked.connect(self.choose_destination)
        self.outcome = QLabel(self)
        self.outcome.setObjectName("outcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(self)
        self.save = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save.setObjectName("save")
        self.save.setDefault(True)
        self.open_folder = self.buttons.addButton("", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_folder.setObjectName("openFolder")
        self.open_folder.setVisible(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.save.clicked.connect(self.save_evidence)
        self.open_folder.clicked.connect(self._open_folder)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.facts)
        layout.addWidget(self.contents)
        self.where = QLabel(self)
        layout.addWidget(self.where)
        layout.addWidget(path_row(self, self.dest, self.choose))
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    # --- saving ---------------------------------------------------------------------

    def choose_destination(self) -> None:
        path = EvidenceFileDialog.ask(self, Path(self.dest.text()))
        if path is not None:
            self.dest.setText(str(path))

    def save_evidence(self) -> None:
        """Write the zip on the work pool; the outcome is shown here when it comes."""
        text = self.dest.text().strip()
        if not text:
            self.choose_destination()
            return
        dest, evidence = Path(text), self.evidence
        self.saved, self.failure = None, None
        self.save.setEnabled(False)
        self._show_outcome()
        self.tasks.run(lambda: write_bundle(evidence, dest), self._saved, self._failed, owner=self)

    def _saved(self, path: Path) -> None:
        self.saved = path
        self.save.setEnabled(True)
        self._show_outcome()

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, MeteraiError):
            log.error(
                "saving the evidence of request %s failed", self.evidence.request.id, exc_info=exc
            )
        self.failure = exc
        self.save.setEnabled(True)
        self._show_outcome()

    def _open_folder(self) -> None:
        if self.saved is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.saved.parent)))

    # --- showing it -----------------------------------------------------------------

    def retranslate(self) -> None:
        row = self.evidence.request
        self.setWindowTitle(_("Save evidence of request {id}").format(id=row.id))
        self.intro.setText(
            _(
                "For a refund or a helpdesk claim: one zip file with what the provider's "
                "helpdesk and the distributors ask for (serial number, time, error)."
            )
        )
        self.where.setText(_("Save to:"))
        self.choose.setText(_("Choose…"))
        self.save.setText(_("&Save evidence"))
        self.open_folder.setText(_("Open &folder"))
        self._show_facts()
        self._show_contents()
        self._show_outcome()

    def _show_facts(self) -> None:
        while self.facts.rowCount():
            self.facts.removeRow(0)
        row = self.evidence.request
        for label, value in (
            (_("Document"), row.file_name),
            (_("Serial number"), row.sn or "-"),
            (_("State"), state_label(row.state)),
            (_("Failed attempts"), str(len(self.evidence.failures))),
        ):
            shown = QLabel(value, self)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(label + ":", shown)

    def _show_contents(self) -> None:
        evidence = self.evidence
        items = [
            _("a one-page summary (PDF) in Indonesian and English"),
            _("the journal of every step (JSON)"),
            _("{count} log lines of this request, passwords and tokens removed").format(
                count=len(evidence.log_lines)
            ),
            _("the stamped file {name}").format(name=evidence.stamped.name)
            if evidence.stamped is not None
            else _("no stamped file: there is none on this computer"),
        ]
        listed = "".join(f"<li>{escape(item)}</li>" for item in items)
        heading = escape(_("The zip holds:"))
        self.contents.setText(f"{heading}<ul>{listed}</ul>")

    def _show_outcome(self) -> None:
        self.open_folder.setVisible(self.saved is not None)
        if self.failure is not None:
            from meterai_desk.errors import error_text

            self._outcome(error_text(self.failure, str(self.tasks.paths.logs_dir)), _FAILED)
        elif self.saved is not None:
            self._outcome(_("Saved: {path}").format(path=self.saved), _SAVED)
        elif not self.save.isEnabled():
            self._outcome(_("Saving…"), "palette(text)")
        else:
            self._outcome("", "palette(text)")

    def _outcome(self, text: str, colour: str) -> None:
        self.outcome.setText(text)
        self.outcome.setStyleSheet(f"font-weight: 600; color: {colour};")

    @classmethod
    def ask(cls, parent: QWidget | None, tasks: TaskRunner, evidence: Evidence) -> EvidenceDialog:
        """Show it without blocking the window (tests replace or drive this)."""
        dialog = cls(tasks, evidence, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
