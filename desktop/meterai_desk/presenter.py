"""Sync events to what the window shows: the table, the status bar and the tray.

Handlers run on the GUI thread (the bridge queued them there) and only patch what
changed; the counts in the status bar are re-read from the database thread, at most
a few times a second however many events arrive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from meterai.i18n import N_, _
from meterai.outbox.states import State
from meterai.settings import Settings
from meterai_desk.ops import Tally, balance_warning, tally
from meterai_desk.sync_bridge import SyncBridge
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.outbox_model import OutboxModel
from meterai_desk.widgets.status_panel import StatusPanel
from meterai_desk.widgets.tray import Tray

if TYPE_CHECKING:
    from meterai.balance import LowBalance
    from meterai.sync.events import Event

TALLY_DEBOUNCE_MS = 300
TALLY_PERIOD_MS = 30_000


class SyncPresenter(QObject):
    low_balance = Signal(object)  # a LowBalance, or None once it is topped up
    counted = Signal(object)  # a Tally, each time the counts are read afresh

    def __init__(
        self,
        tasks: TaskRunner,
        model: OutboxModel,
        status: StatusPanel,
        tray: Tray,
        bridge: SyncBridge | None,
        parent: QObject | None = None,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks, self._model, self._status, self._tray = tasks, model, status, tray
        self._bridge = bridge
        self._settings = settings or Settings()
        self.tally = Tally(0, 0, 0)
        self.warning: LowBalance | None = None
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(TALLY_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._read_tally)
        self._period = QTimer(self)
        self._period.setInterval(TALLY_PERIOD_MS)
        self._period.timeout.connect(self.refresh)
        self._period.start()
        if bridge is not None:
            bridge.sync_event.connect(self.on_event)
            bridge.progress.connect(model.set_progress)
            bridge.started.connect(self.refresh)
            bridge.failed.connect(self._on_failed)
        else:
            status.set_connection("offline", N_("syncing is off"))
        self.refresh()

    def stop(self) -> None:
        self._debounce.stop()
        self._period.stop()

    def refresh(self) -> None:
        self._debounce.start()

    def _read_tally(self) -> None:
        self._tasks.db(tally, self._show_tally)

    def _show_tally(self, counts: Tally) -> None:
        self.tally = counts
        self._status.set_tally(counts)
        self.counted.emit(counts)
        if self._bridge is not None:
            balance = self._bridge.balance
            self._status.set_balance(balance)
            self._check_balance(balance)

    def _check_balance(self, balance: int | None) -> None:
        """The kiosk's low-balance rule for every mode, on a worker (it loads the rule's
        module, and the threshold is the operator's setting, read afresh each time)."""
        if balance is None:
            return
        settings = self._settings
        self._tasks.run(lambda: balance_warning(balance, settings), self._show_warning)

    def _show_warning(self, warning: LowBalance | None) -> None:
        if warning == self.warning:
            return
        crossed = warning is not None and self.warning is None
        self.warning = warning
        self._status.set_low_balance(warning)
        self.low_balance.emit(warning)
        if warning is not None and crossed:
            self._tray.notify(_("Low balance"), warning.message().text(), True)

    def on_event(self, event: Event) -> None:
        from meterai.sync.events import Connectivity, NeedsAttention, StateChanged, Waiting

        if isinstance(event, StateChanged):
            self._model.update_row(event.row)
            if event.row.state == State.DONE:
                self._tray.notify(_("Stamped"), event.row.file_name)
            self.refresh()
        elif isinstance(event, Waiting):
            self._model.set_waiting(event)
            self._status.set_waiting_reason(event.reason)
        elif isinstance(event, NeedsAttention):
            self._model.update_row(event.row)
            self._model.set_message(event.row.id, event.message)
            self._tray.notify(
                _("Needs your attention"), f"{event.row.file_name}: {event.message}", True
            )
            self.refresh()
        elif isinstance(event, Connectivity):
            self._status.set_connection("online" if event.online else "offline", event.detail)
            self.refresh()

    def _on_failed(self, exc: BaseException) -> None:
        message = exc.user_message() if hasattr(exc, "user_message") else str(exc)
        self._status.set_connection("offline", message)
