"""A request's history, step by step: what happened, when, and why it waited."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from meterai.i18n import _
from meterai.outbox.states import State, state_label
from meterai.outbox.store import JournalEntry, RequestRow


class JournalDialog(QDialog):
    def __init__(
        self, row: RequestRow, entries: list[JournalEntry], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("journalDialog")
        self.setWindowTitle(_("History of request {id}").format(id=row.id))
        heading = QLabel(f"<b>{row.file_name}</b>", self)
        self.table = QTableWidget(len(entries), 3, self)
        self.table.setHorizontalHeaderLabels([_("Time"), _("State"), _("Detail")])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for i, entry in enumerate(entries):
            when = datetime.fromtimestamp(entry.at).strftime("%Y-%m-%d %H:%M:%S")
            moved = state_label(State(entry.to_state))
            if entry.from_state and entry.from_state != entry.to_state:
                moved = f"{state_label(State(entry.from_state))} → {moved}"
            for column, text in enumerate((when, moved, entry.text())):
                self.table.setItem(i, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(760, 420)

    @classmethod
    def ask(cls, parent: QWidget | None, row: RequestRow, entries: list[JournalEntry]) -> None:
        """Show the history without blocking the window (tests replace this)."""
        dialog = cls(row, entries, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
