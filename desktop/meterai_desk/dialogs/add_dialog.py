"""One document from file to outbox on one screen: check, place, describe, confirm.

Everything that reads the disk (pre-flight, fixes, the page boxes, the bytes to
preview) runs on a worker and arrives as one ``Inspection``; confirming runs intake's
two halves, the shared ``queue_file`` of the CLI split where each belongs: ``prepare``
(pre-flight, fixes, the copy) on the worker pool, ``commit`` (one transaction) on the
database thread, which never waits behind a large scan. The dialog only shows and
asks, so the window never freezes, and the CLI and the GUI cannot disagree about what
is accepted.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, Signal
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from meterai import doctypes
from meterai.documents import AUTOMATIC_FIXES, DEFAULT_TARGET, TARGETS, Finding, Fix, Severity
from meterai.documents.store import sha256_file
from meterai.i18n import N_, _
from meterai.intake import (
    Accepted,
    DuplicateDocument,
    IntakeOptions,
    Prepared,
    check_options,
    commit,
    prepare,
)
from meterai.outbox.store import Outbox, RequestRow
from meterai.placement import Placement
from meterai.settings import Paths
from meterai_desk.errors import show_error
from meterai_desk.memory import PlacementMemory
from meterai_desk.ops import Inspection, inspect
from meterai_desk.qtranslator import follow_language
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.describe_form import DescribeForm
from meterai_desk.widgets.overlap_guard import OverlapGuard
from meterai_desk.widgets.page_canvas import PagePanel

TARGET_LABELS = {
    "provider": N_("Any use (the stamping service's limit)"),
    "sscasn": N_("SSCASN upload (at most 800 KB, A4)"),
}
FIX_DONE = {
    Fix.REPAIR: N_("Repaired the damaged structure on a copy."),
    Fix.NORMALISE: N_("Saved a copy as PDF 1.7, which the service needs."),
    Fix.FIT_A4: N_("Fitted the pages of a copy to A4, scaled and centred, as the upload needs."),
    Fix.DOWNSAMPLE: N_("Shrank the images on a copy so the file fits."),
}
_MARK = {Severity.ERROR: "✖", Severity.WARNING: "⚠", Severity.INFO: "ℹ"}
_COLOUR = {Severity.ERROR: "#b00020", Severity.WARNING: "#8a5a00", Severity.INFO: "#2d4a7a"}


class AddDialog(QDialog):
    inspected = Signal()
    queued = Signal(object)

    def __init__(
        self,
        path: Path,
        paths: Paths,
        tasks: TaskRunner,
        memory: PlacementMemory,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("addDialog")
        self.path, self._paths, self._tasks, self._memory = path, paths, tasks, memory
        self._allow: frozenset[Fix] = AUTOMATIC_FIXES
        self._again = False
        self._inspection: Inspection | None = None
        self._document: QPdfDocument | None = None
        self._busy = True
        self.accepted_request: Accepted | None = None

        self.pages = PagePanel(self)
        self.overlap = OverlapGuard(self.pages.canvas, tasks, self)
        self.file_label = QLabel(self)
        self.file_label.setObjectName("fileName")
        self.file_label.setWordWrap(True)
        self.verdict = QLabel(self)
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.findings = QLabel(self)
        self.findings.setObjectName("findings")
        self.findings.setWordWrap(True)
        self.findings.setTextFormat(Qt.TextFormat.RichText)
        self.shrink = QPushButton(self)
        self.shrink.setObjectName("shrink")
        self.shrink.hide()
        self.target = QComboBox(self)
        self.target.setObjectName("target")
        for name in TARGETS:
            self.target.addItem("", name)
        self.target.setCurrentIndex(self.target.findData(DEFAULT_TARGET))
        self.target_label = QLabel(self)
        self.target_label.setBuddy(self.target)
        self.form = DescribeForm(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.confirm = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.confirm.setObjectName("confirm")
        self.confirm.setDefault(True)
        self._layout()

        self.buttons.rejected.connect(self.reject)
        self.confirm.clicked.connect(self.submit)
        self.shrink.clicked.connect(self._allow_downsample)
        self.target.currentIndexChanged.connect(lambda _i: self._inspect())
        self.form.changed.connect(self._update_buttons)
        self.form.doc_type.currentIndexChanged.connect(lambda _i: self._recall_placement())
        self.resize(1200, 720)
        follow_language(self, self.retranslate)
        self._load_types()
        self._inspect()
        self._check_known()

    def _layout(self) -> None:
        side = QWidget(self)
        side.setMinimumWidth(360)
        side.setMaximumWidth(480)
        column = QVBoxLayout(side)
        column.setContentsMargins(12, 0, 0, 0)
        column.addWidget(self.file_label)
        column.addWidget(self.verdict)
        column.addWidget(self.findings)
        column.addWidget(self.shrink, 0, Qt.AlignmentFlag.AlignLeft)
        target_row = QFormLayout()
        target_row.setContentsMargins(0, 8, 0, 8)
        target_row.addRow(self.target_label, self.target)
        column.addLayout(target_row)
        column.addWidget(self.form)
        column.addStretch(1)
        page_side = QWidget(self)
        page_column = QVBoxLayout(page_side)
        page_column.setContentsMargins(0, 0, 0, 0)
        page_column.addWidget(self.pages, 1)
        page_column.addWidget(self.overlap)
        splitter = QSplitter(self)
        splitter.addWidget(page_side)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)

    # --- work on other threads -----------------------------------------------------

    def _load_types(self) -> None:
        self._tasks.db(
            lambda box: doctypes.cached_types(box)[0],
            lambda types: self.form.set_types(types),
            owner=self,
        )

    def _check_known(self) -> None:
        """Ask about a document already queued or stamped before the user places a stamp
        on it: hashed on a worker, looked up on the database thread."""
        path = self.path

        def known(sha256: str) -> None:
            self._tasks.db(lambda box: box.find_by_original(sha256), self._known_before, owner=self)

        self._tasks.run(lambda: sha256_file(path), known, lambda _exc: None, owner=self)

    def _known_before(self, rows: list[RequestRow]) -> None:
        if rows and not self._again:
            self._ask_again(rows[0])

    def _ask_again(self, existing: RequestRow) -> bool:
        """Stamp it again (remembered for the submit), or add nothing and close."""
        from meterai_desk.dialogs.again_dialog import StampAgainDialog

        self._again = StampAgainDialog.ask(self, existing)
        if not self._again:
            self.reject()
        return self._again

    def _inspect(self) -> None:
        self._busy = True
        self._inspection = None
        self._show_verdict()
        path, target, allow = self.path, str(self.target.currentData()), self._allow
        self._tasks.run(
            lambda: inspect(path, target, allow), self._inspected, self._failed, owner=self
        )

    def _inspected(self, result: Inspection) -> None:
        if result.path != self.path or str(self.target.currentData()) != result.report.target:
            return
        self._busy = False
        self._inspection = result
        if result.preview is not None and result.pages:
            self._show_pages(result)
        self._show_verdict()
        self._recall_placement()
        self.inspected.emit()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self._update_buttons()
        show_error(self, exc, str(self._paths.logs_dir))

    def _show_pages(self, result: Inspection) -> None:
        """Load the preview from memory: the bytes were read on the worker, not here."""
        assert result.preview is not None
        document = QPdfDocument(self)
        buffer = QBuffer(document)
        buffer.setData(QByteArray(result.preview))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        document.load(buffer)
        if self._document is not None:
            self._document.deleteLater()
        self._document = document
        self.overlap.set_source(result.preview)
        self.pages.canvas.set_document(document, result.pages)

    # --- what the user sees ---------------------------------------------------------

    def _show_verdict(self) -> None:
        result = self._inspection
        if self._busy or result is None:
            self.verdict.setText(_("Checking the document…"))
            self.findings.setText("")
            self.shrink.hide()
        else:
            self.verdict.setText(self._verdict_text(result))
            self.findings.setText(self._findings_html(result))
            offer = Fix.DOWNSAMPLE in result.report.fixes and Fix.DOWNSAMPLE not in self._allow
            self.shrink.setVisible(offer)
        self._update_buttons()

    def _verdict_text(self, result: Inspection) -> str:
        if result.report.blocking:
            if Fix.DOWNSAMPLE in result.report.fixes and Fix.DOWNSAMPLE not in self._allow:
                return _("This document is too large as it is. It can be shrunk to fit.")
            return _("This document cannot be stamped as it is. No stamp will be spent on it.")
        if result.geometry_error is not None:
            return result.geometry_error.user_message()
        return _("Ready: place the stamp and describe the document.")

    def _findings_html(self, result: Inspection) -> str:
        items = [
            f'<li style="color:#1b5e20">✔ {escape(_(FIX_DONE[fix]))}</li>' for fix in result.applied
        ]
        items += [self._finding_html(f) for f in result.report.findings]
        if result.applied:
            untouched = _("The original file is not changed.")
            items.append(f"<li>{escape(untouched)}</li>")
        return f"<ul style='margin-left:0'>{''.join(items)}</ul>" if items else ""

    @staticmethod
    def _finding_html(finding: Finding) -> str:
        mark, colour = _MARK[finding.severity], _COLOUR[finding.severity]
        return f'<li style="color:{colour}">{mark} {escape(finding.message.text())}</li>'

    def _update_buttons(self) -> None:
        self.confirm.setEnabled(self.ready and self.form.show_errors())

    @property
    def ready(self) -> bool:
        result = self._inspection
        return (
            not self._busy
            and result is not None
            and not result.report.blocking
            and result.geometry_error is None
            and bool(result.pages)
        )

    def _allow_downsample(self) -> None:
        self._allow = self._allow | {Fix.DOWNSAMPLE}
        self._inspect()

    # --- placement memory ----------------------------------------------------------

    def _recall_placement(self) -> None:
        kode = self.form.selected_type()
        canvas = self.pages.canvas
        if kode is None or not self.ready:
            return
        remembered = self._memory.recall(kode)
        if remembered is None:
            return
        canvas.show_page(remembered.page_index(canvas.page_count))
        canvas.set_visual(remembered.visual_rect(canvas.page_geometry().visual_size))

    def _remember_placement(self, kode: str) -> None:
        canvas = self.pages.canvas
        self._memory.remember(
            kode,
            canvas.page_index,
            canvas.page_count,
            canvas.page_geometry().visual_size,
            canvas.stamp.scene_rect(),
        )

    # --- confirm -------------------------------------------------------------------

    def placement(self) -> Placement:
        return self.pages.canvas.placement()

    def submit(self) -> None:
        """Queue the document with intake's two halves (the CLI's ``queue_file``)."""
        if not self.form.show_errors(force=True) or not self.ready:
            return
        description = self.form.description()
        placement = self.placement()
        options = IntakeOptions(
            doc_type=description.doc_type,
            page=placement.page_number,
            rect=placement.rect,
            nodoc=description.nodoc,
            tgldoc=description.tgldoc,
            nilaidoc=description.nilaidoc,
            target=str(self.target.currentData()),
            fixes=self._allow,
            identity=description.identity,
            again=self._again,
        )
        self._remember_placement(description.doc_type)
        self._busy = True
        self.confirm.setEnabled(False)
        self.verdict.setText(_("Adding to the outbox…"))
        paths, path = self._paths, self.path
        self._tasks.run(
            lambda: prepare(paths, path, options),
            lambda prepared: self._commit(prepared, options),
            self._not_queued,
            owner=self,
        )

    def _commit(self, prepared: Prepared, options: IntakeOptions) -> None:
        """The document is checked and copied in (on the pool): its request commits on the
        database thread, in one transaction."""

        def commit_request(box: Outbox) -> Accepted:
            check_options(box, options)
            return commit(box, prepared, options)

        self._tasks.db(commit_request, self._queued, self._not_queued, owner=self)

    def _not_queued(self, exc: BaseException) -> None:
        """A duplicate is a question, not an error (queued meanwhile, after the first check)."""
        if not isinstance(exc, DuplicateDocument) or self._again:
            self._failed(exc)
            return
        if self._ask_again(exc.existing):
            self._busy = False
            self.submit()

    def _queued(self, accepted: Accepted) -> None:
        self.accepted_request = accepted
        self.queued.emit(accepted)
        self.accept()

    # --- language ------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(_("Add a document"))
        self.file_label.setText(f"<b>{escape(self.path.name)}</b>")
        self.target_label.setText(_("&Destination"))
        for i in range(self.target.count()):
            name = str(self.target.itemData(i))
            self.target.setItemText(i, _(TARGET_LABELS.get(name, name)))
        self.shrink.setText(_("Shrink the images to fit"))
        self.shrink.setToolTip(
            _("Images are re-compressed on a copy; text stays sharp. The original is not changed.")
        )
        self.confirm.setText(_("&Add to outbox"))
        self._show_verdict()
