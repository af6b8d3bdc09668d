"""Periksa meterai (Check a stamp): drop any PDF and read whether its e-Meterai is real.

For HR staff and committees who receive stamped documents: the provider's own checker
wants an upload and a captcha, this one reads the file here and sends nothing. The
report is ``meterai.checker``'s, the one ``meterai verify`` prints: the verdict, the
stamp's facts (serial number, signing time, signer, where it is) and every check.
The file is read and checked on the work pool, never on the GUI thread.
"""

from __future__ import annotations

import logging
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meterai.checker import NoTrustRoot, StampCheck, Verdict, check_pdf, checking_roots
from meterai.errors import MeteraiError
from meterai.i18n import _
from meterai.settings import Paths, Profile
from meterai.verify import load_trust_roots
from meterai_desk.qtranslator import follow_language
from meterai_desk.tasks import TaskRunner

log = logging.getLogger(__name__)

# The verdict's colour: green only for a valid stamp, red for a stamp that fails, amber
# for a file that has none (nothing is wrong with it; it is simply not stamped).
_COLOURS = {
    Verdict.VALID: "#1b7a2e",
    Verdict.NOT_VALID: "#b3261e",
    Verdict.PICTURE_ONLY: "#9a6700",
    Verdict.UNSTAMPED: "#9a6700",
}


class CheckFileDialog:
    @classmethod
    def ask(cls, parent: QWidget | None) -> Path | None:
        name, _filter = QFileDialog.getOpenFileName(
            parent, _("Choose a stamped PDF to check"), "", _("PDF documents (*.pdf)")
        )
        return Path(name) if name else None


def run_check(paths: Paths, profile: Profile, path: Path) -> StampCheck:
    """On a worker: the profile's trust roots, then every check on ``path``."""
    roots = load_trust_roots(checking_roots(paths, profile))
    return check_pdf(path, roots)


class CheckDialog(QDialog):
    def __init__(
        self, tasks: TaskRunner, paths: Paths, profile: Profile, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("checkDialog")
        self.setAcceptDrops(True)
        self.tasks, self.paths, self.profile = tasks, paths, profile
        self.file: Path | None = None
        self.report: StampCheck | None = None
        self.failure: BaseException | None = None
        self._build()
        self.resize(640, 520)
        follow_language(self, self.retranslate)

    def _build(self) -> None:
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.choose = QPushButton(self)
        self.choose.setObjectName("chooseFile")
        self.choose.clicked.connect(self.choose_file)
        self.file_label = QLabel(self)
        self.file_label.setObjectName("fileName")
        self.verdict = QLabel(self)
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.facts = QFormLayout()
        self.checks = QListWidget(self)
        self.checks.setObjectName("checks")
        self.checks.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.choose, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.file_label)
        layout.addWidget(self.verdict)
        layout.addLayout(self.facts)
        layout.addWidget(self.checks, 1)
        layout.addWidget(buttons)

    # --- the check ------------------------------------------------------------------

    def choose_file(self) -> None:
        path = CheckFileDialog.ask(self)
        if path is not None:
            self.check_file(path)

    def check_file(self, path: Path) -> None:
        """Check ``path`` on the work pool; the report replaces the last one when it comes."""
        self.file, self.report, self.failure = path, None, None
        self.choose.setEnabled(False)
        self._show()
        paths, profile = self.paths, self.profile
        self.tasks.run(
            lambda: run_check(paths, profile, path),
            lambda result: self._checked(path, result),
            lambda exc: self._failed(path, exc),
            owner=self,
        )

    def _checked(self, path: Path, result: StampCheck) -> None:
        """Only the file shown gets its report: a file dropped while another was being
        checked must not show the first one's verdict under its name."""
        if path != self.file:
            return
        self.report = result
        self.choose.setEnabled(True)
        self._show()

    def _failed(self, path: Path, exc: BaseException) -> None:
        if not isinstance(exc, MeteraiError):
            log.error("checking %s failed", path, exc_info=exc)
        if path != self.file:
            return
        self.failure = exc
        self.choose.setEnabled(True)
        self._show()

    # --- showing it -----------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(_("Check a stamp"))
        self.intro.setText(
            _(
                "Drop a PDF here or choose one to see whether it carries a real e-Meterai. "
                "Nothing is uploaded: the check runs on this computer."
            )
        )
        self.choose.setText(_("Choose PDF…"))
        self._show()

    def _show(self) -> None:
        self.file_label.setText(f"<b>{escape(self.file.name)}</b>" if self.file else "")
        self._clear()
        if self.failure is not None:
            self._headline(self._failure_text(self.failure), "#b3261e", "error")
        elif self.report is not None:
            self._show_result(self.report)
        elif self.file is not None:
            self._headline(_("Checking…"), "palette(text)", "checking")
        else:
            self._headline("", "palette(text)", "")

    def _failure_text(self, exc: BaseException) -> str:
        """In words; the missing trust root with the app's own place to set it."""
        if isinstance(exc, NoTrustRoot):
            return _(
                "No trusted authority is known for profile {profile}, so no stamp can be "
                "checked: set the provider's signing CA in Settings → Account."
            ).format(profile=self.profile.name)
        from meterai_desk.errors import error_text

        return error_text(exc, str(self.paths.logs_dir))

    def _show_result(self, result: StampCheck) -> None:
        verdict = result.verdict
        self._headline(result.headline().text(), _COLOURS[verdict], verdict.value)
        for fact in result.facts():
            value = QLabel(fact.value_text(), self)
            value.setObjectName(f"fact_{fact.name}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts.addRow(fact.label.text() + ":", value)
        for check in result.checks:
            mark = "✓ " if check.passed else "✗ "
            item = QListWidgetItem(mark + check.message.text(), self.checks)
            item.setData(Qt.ItemDataRole.UserRole, check.name)

    def _headline(self, text: str, colour: str, verdict: str) -> None:
        self.verdict.setText(text)
        self.verdict.setProperty("verdict", verdict)
        self.verdict.setStyleSheet(f"font-size: 13pt; font-weight: 600; color: {colour};")

    def _clear(self) -> None:
        while self.facts.rowCount():
            self.facts.removeRow(0)
        self.checks.clear()

    # --- drag and drop --------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.check_file(Path(urls[0].toLocalFile()))

    @classmethod
    def ask(
        cls, parent: QWidget | None, tasks: TaskRunner, paths: Paths, profile: Profile
    ) -> CheckDialog:
        """Open without blocking the window (tests replace this)."""
        dialog = cls(tasks, paths, profile, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
