"""The kiosk's panel: where the files go, what each customer got, what just happened.

An operator glances at it between customers, so it answers three questions without
reading a table of requests: is the kiosk taking files, did this customer's files
come out, and is anything wrong (a refused file, a folder to fix, the stamps
running out). Plain sentences, newest first, calm colours; the low-balance warning
sits above everything, because it is the one problem that stops the whole counter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFormLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from meterai.i18n import _
from meterai.kiosk.ledger import rupiah
from meterai_desk.kiosk.notes import KioskNote
from meterai_desk.qtranslator import follow_language

if TYPE_CHECKING:
    from meterai.balance import LowBalance
    from meterai.kiosk.ledger import DayLedger
    from meterai.kiosk.setup import KioskSetup

HISTORY = 50
_COLOURS = {
    "done": "#1b6b34",
    "duplicate": "#7a5a00",
    "rejected": "#9a1b1b",
    "folder": "#9a1b1b",
    "attention": "#9a1b1b",
    "trouble": "#9a1b1b",
    "low_balance": "#9a4a00",
    "recovered": "#1b6b34",
}
_STATE_COLOURS = {"starting": "#8a8a8a", "on": "#1b7f3b", "stopping": "#8a8a8a"}


@dataclass
class Counts:
    """Per customer since kiosk mode started; sets, so a file reported twice counts once."""

    taken: set[int] = field(default_factory=set)
    done: set[int] = field(default_factory=set)
    rejected: int = 0
    duplicate: int = 0
    problem: str = ""  # the folder's settings are wrong: nothing is taken from it

    def row(self) -> tuple[int, int, int, int]:
        return len(self.taken), len(self.done), self.rejected, self.duplicate


class KioskPanel(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("kioskPanel")
        self.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.setMinimumWidth(400)
        self.counts: dict[str, Counts] = {}
        self.notes: list[KioskNote] = []
        self.ledger: DayLedger | None = None
        self._state = "starting"
        self._setup: KioskSetup | None = None
        self._warning: LowBalance | None = None
        self._build()
        follow_language(self, self.retranslate)

    def _build(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(10, 6, 10, 10)
        self.state = _label(body, "kioskState")
        self.state.setStyleSheet("#kioskState { font-size: 12pt; font-weight: 600; }")
        self.hint = _label(body, "kioskHint")
        self.low_balance = _label(body, "kioskLowBalance")
        self.low_balance.setStyleSheet(
            "#kioskLowBalance { background: #fff1d6; color: #6b3a00; border: 1px solid #e0a040;"
            " border-radius: 4px; padding: 8px; font-size: 11pt; font-weight: 600; }"
        )
        self.low_balance.hide()
        self.inbox, self.outbox, self.rejected = (
            _label(body, name, selectable=True) for name in ("inbox", "outbox", "rejected")
        )
        self.folders = QFormLayout()
        for field_ in (self.inbox, self.outbox, self.rejected):
            self.folders.addRow(QLabel(body), field_)
        self.customers = _table(body)
        self.today, self.reconciled = _label(body, "kioskToday"), _label(body, "kioskReconciled")
        self.counters = _table(body, "kioskCounters", 3)
        self.events_label = QLabel(body)
        self.events = QListWidget(body)
        self.events.setObjectName("kioskEvents")
        self.events.setWordWrap(True)
        self.events.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.leave = QPushButton(body)
        self.leave.setObjectName("leaveKiosk")
        for widget in (self.state, self.low_balance, self.hint):
            layout.addWidget(widget)
        layout.addLayout(self.folders)
        layout.addWidget(self.customers, 2)
        for part in (self.today, self.counters, self.reconciled):
            layout.addWidget(part)
        layout.addWidget(self.events_label)
        layout.addWidget(self.events, 3)
        layout.addWidget(self.leave, 0, Qt.AlignmentFlag.AlignRight)
        self.setWidget(body)

    # --- what it is told -----------------------------------------------------------

    def set_setup(self, setup: KioskSetup) -> None:
        """A new kiosk session: its folders, and counters from zero."""
        self._setup = setup
        self.counts.clear()
        self.notes.clear()
        self._show_folders()
        self._show_counts()
        self._show_events()

    def set_state(self, state: str) -> None:
        """``starting``, ``on`` or ``stopping``."""
        self._state = state
        self._show_state()

    def set_low_balance(self, warning: LowBalance | None) -> None:
        self._warning = warning
        self._show_low_balance()

    def set_ledger(self, ledger: DayLedger) -> None:
        """The account's day across every counter (one ledger), read on a worker."""
        self.ledger = ledger
        self._show_ledger()

    def add(self, note: KioskNote) -> None:
        self._count(note)
        self.notes.insert(0, note)
        del self.notes[HISTORY:]
        self._show_counts()
        self._show_events()

    def count(self, customer: str) -> tuple[int, int, int, int]:
        """(taken, done, refused, already received) for ``customer``."""
        return self.counts.get(customer, Counts()).row()

    def _count(self, note: KioskNote) -> None:
        kinds = ("taken", "done", "rejected", "duplicate", "folder")
        if not note.customer or note.kind not in kinds:
            return
        counts = self.counts.setdefault(note.customer, Counts())
        if note.kind == "folder":
            counts.problem = note.detail
        elif note.kind == "taken" and note.request_id is not None:
            counts.problem = ""  # taking again means the settings were fixed
            counts.taken.add(note.request_id)
        elif note.kind == "done" and note.request_id is not None:
            counts.done.add(note.request_id)
        elif note.kind == "rejected":
            counts.rejected += 1
        elif note.kind == "duplicate":
            counts.duplicate += 1

    # --- words ---------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(_("Kiosk mode"))
        self.hint.setText(
            _(
                "Each customer has a folder in the inbox. Drop their PDFs there: stamped "
                "files appear in the outbox in a folder of the same name."
            )
        )
        labels = (_("Inbox:"), _("Outbox:"), _("Refused files:"))
        for row, text in enumerate(labels):
            item = self.folders.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if item is not None and isinstance(label := item.widget(), QLabel):
                label.setText(text)
        self.customers.setHorizontalHeaderLabels(
            [_("Customer"), _("Taken"), _("Done"), _("Refused"), _("Received before")]
        )
        self.counters.setHorizontalHeaderLabels([_("Counter"), _("Stamps"), _("Cost")])
        self.events_label.setText(_("Recent events"))
        self.leave.setText(_("Leave kiosk mode"))
        self._show_state()
        self._show_low_balance()
        self._show_events()
        self._show_ledger()

    def _show_ledger(self) -> None:
        ledger = self.ledger
        for widget in (self.today, self.counters, self.reconciled):
            widget.setVisible(ledger is not None)
        if ledger is None:
            return
        self.today.setText(
            _("Today, all counters: {count} stamps, {amount}").format(
                count=len(ledger.lines), amount=rupiah(ledger.total)
            )
        )
        rows = ledger.by_counter()
        self.counters.setRowCount(len(rows))
        for row, (counter, count, cost) in enumerate(rows):
            for column, text in enumerate((counter, str(count), rupiah(cost))):
                self.counters.setItem(row, column, QTableWidgetItem(text))
        self.reconciled.setText(reconciliation(ledger))

    def _show_state(self) -> None:
        words = {
            "starting": _("Starting kiosk mode…"),
            "on": _("Kiosk mode is on: watching the inbox"),
            "stopping": _("Leaving kiosk mode…"),
        }[self._state]
        colour = _STATE_COLOURS[self._state]
        self.state.setText(f'<span style="color:{colour}">●</span> {words}')

    def _show_low_balance(self) -> None:
        warning = self._warning
        self.low_balance.setVisible(warning is not None)
        if warning is not None:
            self.low_balance.setText("⚠ " + warning.message().text())

    def _show_folders(self) -> None:
        setup = self._setup
        if setup is not None:
            self.inbox.setText(str(setup.inbox))
            self.outbox.setText(str(setup.outbox))
            self.rejected.setText(str(setup.rejected))

    def _show_counts(self) -> None:
        table = self.customers
        table.setRowCount(len(self.counts))
        for row, customer in enumerate(sorted(self.counts, key=str.casefold)):
            counts = self.counts[customer]
            for column, text in enumerate(map(str, counts.row()), start=1):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                table.setItem(row, column, item)
            table.setItem(row, 0, _customer_item(customer, counts.problem))

    def _show_events(self) -> None:
        self.events.clear()
        if not self.notes:
            placeholder = QListWidgetItem(_("Nothing yet: waiting for the first file."))
            placeholder.setForeground(QBrush(QColor("#6a6a6a")))
            self.events.addItem(placeholder)
            return
        for note in self.notes:
            item = QListWidgetItem(
                f"{time.strftime('%H:%M', time.localtime(note.at))}  {line(note)}"
            )
            colour = _COLOURS.get(note.kind)
            if colour is not None:
                item.setForeground(QBrush(QColor(colour)))
            self.events.addItem(item)


def line(note: KioskNote) -> str:
    """One recent event in plain words, in the current language."""
    params = {
        "customer": note.customer,
        "file": note.file,
        "id": note.request_id,
        "reason": note.detail,
    }
    if note.kind == "low_balance" and note.warning is not None:
        return note.warning.message().text()
    texts = {
        "taken": _("{customer}: {file} taken (request {id})."),
        "done": _("{customer}: {file} stamped; it is in the outbox."),
        "duplicate": _(
            "{customer}: {file} was received before (request {id}); no second stamp was bought."
        ),
        "rejected": _("{customer}: {file} refused. {reason}"),
        "folder": _("{customer}: {reason}"),
        "attention": _("{customer}: {file} needs your attention. {reason}"),
        "trouble": _("The inbox cannot be read right now ({reason}); trying again."),
        "recovered": _("The inbox can be read again."),
    }
    return texts.get(note.kind, "{reason}").format(**params)


def reconciliation(ledger: DayLedger) -> str:
    """Whether the provider's list of serial numbers agrees with the day, in one line."""
    if ledger.reconciled is None:
        return _("Not checked yet against the provider's list of serial numbers.")
    if ledger.reconciled:
        return _("✓ The provider's list of serial numbers agrees.")
    return _(
        "⚠ The provider's list disagrees: {disputed} not shown as stamped, {extra} charged "
        "but in no request (meterai report lists them)."
    ).format(disputed=len(ledger.disputed), extra=len(ledger.unaccounted or ()))


def _customer_item(customer: str, problem: str) -> QTableWidgetItem:
    """A folder whose settings are wrong is marked, with the reason on hover."""
    item = QTableWidgetItem(f"⚠ {customer}" if problem else customer)
    if problem:
        item.setForeground(QBrush(QColor(_COLOURS["folder"])))
        item.setToolTip(problem)
    return item


def _label(parent: QWidget, name: str, *, selectable: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _table(parent: QWidget, name: str = "kioskCustomers", columns: int = 5) -> QTableWidget:
    table = QTableWidget(0, columns, parent)
    table.setObjectName(name)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, columns):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return table
