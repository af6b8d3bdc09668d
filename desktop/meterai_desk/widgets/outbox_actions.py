"""What the user can do to one request: retry, replace its document, cancel, open the
result, read its history, save its evidence for a claim.

Each action is offered only when it makes sense for the selected request's state
(cancel while no stamp is being made, retry and replace only when a person was
asked), so a disabled button already answers "can I?"; the core's verbs still decide
and say why when they refuse. A request the stamping service refused after its
serial number was bought offers two ways out that waste nothing: a corrected
document (same serial number), or cancel, which keeps the serial number for the
next document. Writes go through the database thread; the sync runner is woken
after a retry or a replacement so it does not wait for its timer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QStyle, QWidget

from meterai.i18n import _
from meterai.outbox.states import CANCELLABLE, State
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.outbox_model import OutboxModel

if TYPE_CHECKING:
    from PySide6.QtCore import QPoint

    from meterai.evidence import Evidence
    from meterai.outbox.store import JournalEntry, Outbox, RequestRow
    from meterai_desk.widgets.outbox_view import OutboxView


def result_path(row: RequestRow) -> str | None:
    """The stamped file the user should open: the exported copy, else the stored one."""
    return row.output_path or row.stamped_path


def can_cancel(row: RequestRow) -> bool:
    return row.state in CANCELLABLE or row.state == State.NEEDS_ATTENTION


def holds_paid_serial(row: RequestRow | None) -> bool:
    """Waiting for a person while holding a serial number: replace, or cancel and keep it."""
    return row is not None and row.state == State.NEEDS_ATTENTION and row.sn is not None


class OutboxActions(QObject):
    """What can be done with the selected request: toolbar, menu and context menu actions.

    The table comes later (``attach``): the window builds it once there are rows to show
    or after its first paint. Until then nothing is selected and every action is off.
    """

    def __init__(
        self,
        model: OutboxModel,
        tasks: TaskRunner,
        wake: Callable[[], None],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._model, self._tasks, self._wake, self._parent = model, tasks, wake, parent
        self._view: OutboxView | None = None
        style = parent.style()
        icon = style.standardIcon
        sp = QStyle.StandardPixmap
        self.retry = QAction(icon(sp.SP_BrowserReload), "", self)
        self.replace = QAction(icon(sp.SP_DialogOpenButton), "", self)
        self.cancel = QAction(icon(sp.SP_DialogCancelButton), "", self)
        self.open_file = QAction(icon(sp.SP_FileIcon), "", self)
        self.open_folder = QAction(icon(sp.SP_DirOpenIcon), "", self)
        self.journal = QAction(icon(sp.SP_FileDialogDetailedView), "", self)
        self.evidence = QAction(icon(sp.SP_DialogSaveButton), "", self)
        self.evidence.setObjectName("saveEvidence")
        self.retry.setObjectName("retry")
        self.replace.setObjectName("replace")
        self.cancel.setObjectName("cancel")
        self.retry.triggered.connect(self.do_retry)
        self.replace.triggered.connect(self.do_replace)
        self.cancel.triggered.connect(self.do_cancel)
        self.open_file.triggered.connect(self.do_open_file)
        self.open_folder.triggered.connect(self.do_open_folder)
        self.journal.triggered.connect(self.do_journal)
        self.evidence.triggered.connect(self.do_evidence)
        model.dataChanged.connect(self.update)
        model.modelReset.connect(self.update)
        self.retranslate()
        self.update()

    def attach(self, view: OutboxView) -> None:
        """Act on ``view``'s selection (once: the window has one table)."""
        self._view = view
        view.selectionModel().selectionChanged.connect(self.update)
        view.doubleClicked.connect(lambda _i: self._default_action())
        view.setContextMenuPolicy(view.contextMenuPolicy().CustomContextMenu)
        view.customContextMenuRequested.connect(self._menu)
        self.update()

    @property
    def all(self) -> tuple[QAction, ...]:
        return (
            self.retry,
            self.replace,
            self.cancel,
            self.open_file,
            self.open_folder,
            self.journal,
            self.evidence,
        )

    def update(self) -> None:
        row = self._current_row()
        self.retry.setEnabled(row is not None and row.state == State.NEEDS_ATTENTION)
        self.replace.setEnabled(holds_paid_serial(row))
        self.cancel.setEnabled(row is not None and can_cancel(row))
        self._cancel_text(row)
        has_result = row is not None and result_path(row) is not None and row.state == State.DONE
        self.open_file.setEnabled(has_result)
        self.open_folder.setEnabled(has_result)
        self.journal.setEnabled(row is not None)
        self.evidence.setEnabled(row is not None)

    def retranslate(self) -> None:
        self.retry.setText(_("&Retry"))
        self.retry.setToolTip(_("Try this request again (the serial number, if any, is kept)"))
        self.replace.setText(_("Replace &document…"))
        self.replace.setToolTip(
            _("Give it a corrected document; it keeps the serial number already bought")
        )
        self._cancel_text(self._current_row())
        self.open_file.setText(_("&Open stamped file"))
        self.open_folder.setText(_("Open &folder"))
        self.journal.setText(_("&History"))
        self.journal.setToolTip(_("Every step this request went through"))
        self.evidence.setText(_("Save &evidence…"))
        self.evidence.setToolTip(
            _("One zip for a refund or helpdesk claim: summary, journal, log lines, stamped file")
        )

    def _cancel_text(self, row: RequestRow | None) -> None:
        if holds_paid_serial(row):
            self.cancel.setText(_("&Cancel (keep the stamp for the next document)"))
            self.cancel.setToolTip(
                _("Withdraw it; its unused serial number goes to your next document")
            )
        else:
            self.cancel.setText(_("&Cancel request"))
            self.cancel.setToolTip(_("Withdraw it; possible only before a serial number is bought"))

    # --- the actions ---------------------------------------------------------------

    def do_retry(self) -> None:
        row = self._current_row()
        if row is None:
            return
        request_id = row.id

        def retry(box: Outbox) -> RequestRow:
            return box.retry(request_id)

        self._tasks.db(retry, self._after_write(wake=True), self._error)

    def do_replace(self) -> None:
        row = self._current_row()
        if row is None:
            return
        from meterai_desk.dialogs.files import ReplacementFileDialog

        path = ReplacementFileDialog.ask(self._parent, row.file_name)
        if path is None:
            return
        request_id, paths = row.id, self._tasks.paths

        def replace(box: Outbox) -> RequestRow:
            from meterai.intake import replace_file  # pikepdf loads on the worker

            return replace_file(box, paths, request_id, path).request

        self._tasks.db(replace, self._after_write(wake=True), self._error)

    def do_cancel(self) -> None:
        row = self._current_row()
        if row is None:
            return
        request_id = row.id
        self._tasks.db(lambda box: box.cancel(request_id), self._after_write(), self._error)

    def do_open_file(self) -> None:
        row = self._current_row()
        path = result_path(row) if row else None
        if path:
            _open_locally(path)

    def do_open_folder(self) -> None:
        row = self._current_row()
        path = result_path(row) if row else None
        if path:
            _open_locally(str(Path(path).parent))

    def do_journal(self) -> None:
        row = self._current_row()
        if row is None:
            return
        request_id = row.id
        self._tasks.db(
            lambda box: box.journal(request_id),
            lambda entries: self._show_journal(row, entries),
            self._error,
        )

    def _show_journal(self, row: RequestRow, entries: list[JournalEntry]) -> None:
        from meterai_desk.dialogs.journal_dialog import JournalDialog  # first use, not start-up

        JournalDialog.ask(self._parent, row, entries)

    def do_evidence(self) -> None:
        """Gather the facts on the database thread, then ask where the zip goes."""
        row = self._current_row()
        if row is None:
            return
        request_id, paths = row.id, self._tasks.paths

        def gather_facts(box: Outbox) -> Evidence:
            from meterai.evidence import gather  # fpdf2 loads on the worker, at first use

            return gather(box, paths, request_id)

        self._tasks.db(gather_facts, self._show_evidence, self._error)

    def _show_evidence(self, evidence: Evidence) -> None:
        from meterai_desk.dialogs.evidence_dialog import EvidenceDialog

        EvidenceDialog.ask(self._parent, self._tasks, evidence)

    def _after_write(self, wake: bool = False) -> Callable[[RequestRow], None]:
        def done(row: RequestRow) -> None:
            self._model.update_row(row)
            if wake:
                self._wake()

        return done

    def _error(self, exc: BaseException) -> None:
        from meterai_desk.errors import show_error  # QMessageBox: not before the first paint

        show_error(self._parent, exc)

    def _default_action(self) -> None:
        if self.open_file.isEnabled():
            self.do_open_file()
        else:
            self.do_journal()

    def _current_row(self) -> RequestRow | None:
        return None if self._view is None else self._view.current_row()

    def _menu(self, pos: QPoint) -> None:
        assert self._view is not None, "the table asked for its own context menu"
        menu = QMenu(self._view)
        for action in self.all:
            menu.addAction(action)
        menu.popup(self._view.viewport().mapToGlobal(pos))


def _open_locally(path: str) -> None:
    """The file or folder in the desktop's own application (``QUrl``: not needed to start)."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    QDesktopServices.openUrl(QUrl.fromLocalFile(path))
