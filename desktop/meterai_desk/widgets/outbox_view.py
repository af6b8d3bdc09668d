"""The outbox as a table: a model that pages rows in from the database thread on demand.

Rows arrive in pages of ``PAGE`` through the TaskRunner, so a 10,000-request outbox
shows its first screen at once and never reads the database on the GUI thread.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from meterai.cli.status import state_label
from meterai.i18n import N_, _
from meterai.outbox.states import State
from meterai.outbox.store import Outbox, RequestRow
from meterai_desk.tasks import TaskRunner

PAGE = 200
Index = QModelIndex | QPersistentModelIndex

COLUMNS = (N_("ID"), N_("File"), N_("State"), N_("Tries"), N_("Serial number"), N_("Reason"))


def _when(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts).strftime("%d-%m %H:%M")


class OutboxModel(QAbstractTableModel):
    def __init__(self, tasks: TaskRunner, parent: Any = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._rows: list[RequestRow] = []
        self._total = 0
        self._loading = False
        self._generation = 0

    # --- loading -------------------------------------------------------------------

    def reload(self) -> None:
        """Start over from the first page (after a change the model cannot patch in place)."""
        self._generation += 1
        generation = self._generation
        self._loading = True

        def first_page(box: Outbox) -> tuple[int, list[RequestRow]]:
            return box.count(), box.requests(limit=PAGE)

        self._tasks.db(first_page, lambda result: self._reset(generation, *result))

    def _reset(self, generation: int, total: int, rows: list[RequestRow]) -> None:
        if generation != self._generation:
            return
        self.beginResetModel()
        self._rows, self._total, self._loading = rows, total, False
        self.endResetModel()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._loading and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._loading = True
        offset, generation = len(self._rows), self._generation
        self._tasks.db(
            lambda box: box.requests(limit=PAGE, offset=offset),
            lambda rows: self._append(generation, rows),
        )

    def _append(self, generation: int, rows: list[RequestRow]) -> None:
        self._loading = False
        if generation != self._generation or not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self.endInsertRows()

    def update_row(self, row: RequestRow) -> None:
        """Patch one request in place (from a sync event) without reloading the table."""
        for i, existing in enumerate(self._rows):
            if existing.id == row.id:
                self._rows[i] = row
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
                return
        self.reload()

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
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 5:
            return row.last_error
        return None

    def _display(self, row: RequestRow, column: int) -> str:
        if column == 0:
            return str(row.id)
        if column == 1:
            return row.file_name
        if column == 2:
            return state_label(row.state)
        if column == 3:
            return str(row.attempts)
        if column == 4:
            return row.sn or ""
        reason = row.last_error or ""
        if row.next_attempt_at and row.state not in (State.DONE, State.CANCELLED):
            reason = (
                _("{reason} — next try {when}")
                .format(reason=reason, when=_when(row.next_attempt_at))
                .lstrip(" —")
            )
        return reason

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 5))


class OutboxView(QTableView):
    def __init__(self, model: OutboxModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(26)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((50, 260, 130, 60, 190)):
            self.setColumnWidth(column, width)
