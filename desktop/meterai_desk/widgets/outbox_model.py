"""The outbox as a table's model: it pages rows in from the database thread on demand.

Rows arrive in pages of ``PAGE`` through the TaskRunner, so a 10,000-request outbox
shows its first screen at once and never reads the database on the GUI thread. Live
facts the database does not hold (bytes moved, the translated reason for a wait, the
queue position) come from sync events and are kept beside the rows, by request id.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Signal

from meterai.i18n import N_, _
from meterai.outbox.rows import heard_from_provider
from meterai.outbox.states import State, state_label
from meterai.restamp import restamp_deadline, restamp_note, waits_to_restamp
from meterai_desk.tasks import TaskRunner

if TYPE_CHECKING:
    from meterai.outbox.store import Outbox, RequestRow
    from meterai.sync.events import BytesMoved, Waiting

PAGE = 200
Index = QModelIndex | QPersistentModelIndex

# Roles as the ints PySide passes to ``data``. Naming ``Qt`` when this module is imported
# (a constant, a default argument) would make PySide build the Qt namespace, 94 enums
# and some 25 ms, before the window's first paint; the methods below name ``QtCore.Qt``
# only once a view calls them. ``test_outbox_view`` pins both to Qt's values.
DISPLAY_ROLE = 0  # Qt.ItemDataRole.DisplayRole
ProgressRole = 0x0101  # Qt.ItemDataRole.UserRole + 1

COLUMNS = (
    N_("ID"),
    N_("File"),
    N_("State"),
    N_("Progress"),
    N_("Queue"),
    N_("Serial number"),
    N_("Waiting for / reason"),
    N_("Customer"),
)
(COL_ID, COL_FILE, COL_STATE, COL_PROGRESS, COL_QUEUE, COL_SN, COL_REASON, COL_CUSTOMER) = range(
    len(COLUMNS)
)

FINISHED = (State.DONE, State.CANCELLED)
PHASES = {"upload": N_("Uploading"), "download": N_("Downloading")}


def _restamp_deadlines(box: Outbox, rows: list[RequestRow]) -> dict[int, float]:
    """The re-stamp deadlines of the rows waiting to retry a stamp (database worker only)."""
    found = {row.id: restamp_deadline(box, row) for row in rows if waits_to_restamp(row)}
    return {request_id: when for request_id, when in found.items() if when is not None}


def _when(ts: float | None) -> str:
    if ts is None:
        return ""
    moment = datetime.fromtimestamp(ts)
    same_day = moment.date() == datetime.now().date()
    return moment.strftime("%H:%M:%S" if same_day else "%d-%m %H:%M")


class OutboxModel(QAbstractTableModel):
    # The outbox could not be read (refused as lost, damaged, locked): the window says why,
    # rather than showing an empty outbox.
    loadFailed = Signal(object)

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._rows: list[RequestRow] = []
        self._where: dict[int, int] = {}
        self._total = 0
        self._loading = False
        self._generation = 0
        self._progress: dict[int, BytesMoved] = {}
        self._waiting: dict[int, Waiting] = {}
        self._messages: dict[int, str] = {}
        self._restamp_by: dict[int, float] = {}
        """The provider's re-stamp deadline of each loaded request waiting to retry a stamp."""
        self._headers_shown = False  # no view has asked for them: no language change to tell

    # --- loading -------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        """A page is being read on a worker (the first one from ``reload`` on)."""
        return self._loading

    def reload(self) -> None:
        """Start over from the first page (after a change the model cannot patch in place)."""
        self._generation += 1
        generation = self._generation
        self._loading = True

        def first_page(box: Outbox) -> tuple[int, list[RequestRow], dict[int, float]]:
            rows = box.requests(limit=PAGE)
            return box.count(), rows, _restamp_deadlines(box, rows)

        self._tasks.db(
            first_page,
            lambda result: self._reset(generation, *result),
            self.loadFailed.emit,
            owner=self,
        )

    def _reset(
        self, generation: int, total: int, rows: list[RequestRow], restamp_by: dict[int, float]
    ) -> None:
        if generation != self._generation:
            return
        self._restamp_by = restamp_by
        self.beginResetModel()
        self._rows, self._total, self._loading = rows, total, False
        self._where = {row.id: i for i, row in enumerate(rows)}
        self.endResetModel()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._loading and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._loading = True
        offset, generation = len(self._rows), self._generation

        def next_page(box: Outbox) -> tuple[list[RequestRow], dict[int, float]]:
            rows = box.requests(limit=PAGE, offset=offset)
            return rows, _restamp_deadlines(box, rows)

        self._tasks.db(next_page, lambda page: self._append(generation, *page), owner=self)

    def _append(
        self, generation: int, rows: list[RequestRow], restamp_by: dict[int, float] | None = None
    ) -> None:
        self._restamp_by.update(restamp_by or {})
        self._loading = False
        if generation != self._generation or not rows:
            return
        rows = [row for row in rows if row.id not in self._where]
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        for i, row in enumerate(rows, first):
            self._where[row.id] = i
        self._rows.extend(rows)
        self._total = max(self._total, len(self._rows))
        self.endInsertRows()

    def update_row(self, row: RequestRow) -> None:
        """Patch one request in place (from a sync event) without reloading the table.

        A request not loaded yet is either beyond the loaded pages (it will arrive
        fresh when scrolled to) or new (appended when everything else is loaded).
        """
        i = self._where.get(row.id)
        if i is not None:
            self._rows[i] = row
            if row.state not in (State.NEEDS_ATTENTION,):
                self._messages.pop(row.id, None)
            if row.next_attempt_at is None:
                self._waiting.pop(row.id, None)
            self._track_restamp(row)
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
            return
        if self._rows and row.id < self._rows[-1].id:
            return
        if len(self._rows) >= self._total:
            self._append(self._generation, [row])
        else:
            self._total += 1

    def _track_restamp(self, row: RequestRow) -> None:
        """A request that starts waiting to retry its stamp gets its deadline read (on the
        database worker); one that stops waiting drops it."""
        if not waits_to_restamp(row):
            self._restamp_by.pop(row.id, None)
        elif row.id not in self._restamp_by:
            self._tasks.db(
                lambda box: restamp_deadline(box, row),
                lambda deadline: self._set_restamp(row.id, deadline),
                owner=self,
            )

    def _set_restamp(self, request_id: int, deadline: float | None) -> None:
        if deadline is not None:
            self._restamp_by[request_id] = deadline
            self._changed(request_id, COL_REASON, COL_REASON)

    def set_progress(self, latest: dict[int, BytesMoved]) -> None:
        self._progress.update(latest)
        for request_id in latest:
            self._changed(request_id, COL_PROGRESS, COL_PROGRESS)

    def set_waiting(self, waiting: Waiting) -> None:
        self._waiting[waiting.request_id] = waiting
        self._progress.pop(waiting.request_id, None)
        self._changed(waiting.request_id, COL_PROGRESS, COL_REASON)

    def set_message(self, request_id: int, message: str) -> None:
        """The engine's translated words for why a request needs attention."""
        self._messages[request_id] = message
        self._changed(request_id, COL_REASON, COL_REASON)

    def _changed(self, request_id: int, first: int, last: int) -> None:
        i = self._where.get(request_id)
        if i is not None:
            self.dataChanged.emit(self.index(i, first), self.index(i, last))

    def row_at(self, index: int) -> RequestRow:
        return self._rows[index]

    @property
    def loaded(self) -> int:
        return len(self._rows)

    @property
    def total(self) -> int:
        return self._total

    # --- Qt model API --------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: QtCore.Qt.Orientation, role: int = DISPLAY_ROLE
    ) -> Any:
        self._headers_shown = True
        if orientation == QtCore.Qt.Orientation.Horizontal and role == DISPLAY_ROLE:
            return _(COLUMNS[section])
        return None

    def data(self, index: Index, role: int = DISPLAY_ROLE) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == DISPLAY_ROLE:
            return self._display(row, column)
        if role == ProgressRole and column == COL_PROGRESS:
            moved = self._progress.get(row.id)
            if moved is None or moved.total is None or row.state in (State.DONE, State.CANCELLED):
                return None  # no bar: the phase's name alone while the size is unknown
            return moved.done, max(moved.total, 1)
        tooltip = QtCore.Qt.ItemDataRole.ToolTipRole
        if role == tooltip and column == COL_REASON:
            return self._reason(row) or None
        if role == tooltip and column == COL_STATE:
            return _("{count} tries").format(count=row.attempts)
        return None

    def _display(self, row: RequestRow, column: int) -> str:
        if column == COL_ID:
            return str(row.id)
        if column == COL_FILE:
            return row.file_name
        if column == COL_STATE:
            return state_label(row.state)
        if column == COL_PROGRESS:
            moved = self._progress.get(row.id)
            if moved is None or row.state in (State.DONE, State.CANCELLED):
                return ""
            return _(PHASES.get(moved.phase, moved.phase))
        if column == COL_QUEUE:
            position = self._heard(row)[0]
            return "" if position is None or row.state in FINISHED else str(position)
        if column == COL_SN:
            return row.sn or ""
        if column == COL_CUSTOMER:
            return row.customer or ""
        return self._reason(row)

    def _heard(self, row: RequestRow) -> tuple[int | None, str | None]:
        """The queue position and the provider's words: live from the last wait, else as
        stored with the request (so they survive a restart of the app)."""
        waiting = self._waiting.get(row.id)
        if waiting is not None:
            return waiting.queue_position, waiting.provider_message
        return row.queue_position, row.provider_message

    def _reason(self, row: RequestRow) -> str:
        if row.state in FINISHED:
            return ""
        waiting = self._waiting.get(row.id)
        reason = self._messages.get(row.id) or (waiting.reason if waiting else "")
        reason = reason or row.reason()
        said = heard_from_provider(None, self._heard(row)[1])  # the position has a column
        if said is not None:
            reason = f"{reason} — {said.text()}" if reason else said.text()
        until = waiting.until if waiting else row.next_attempt_at
        if until and row.state != State.NEEDS_ATTENTION:
            when = _("next try at {when}").format(when=_when(until))
            reason = f"{reason} — {when}" if reason else when
        restamp_by = self._restamp_by.get(row.id)
        if restamp_by is not None:
            window = restamp_note(restamp_by, time.time()).text()
            reason = f"{reason} — {window}" if reason else window
        return reason

    def retranslate(self) -> None:
        if self._headers_shown:
            self.headerDataChanged.emit(QtCore.Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, COL_REASON))
