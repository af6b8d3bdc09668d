"""Kiosk mode for the window: ask for the folders, swap the runner, show the counter's panel.

The kiosk and the ordinary runner share the data folder's lock, so entering kiosk
mode asks the bridge to replace one by the other (and leaving, back); the bridge
keeps owning threads, the sandbox and the sync events, so the outbox table and the
status bar keep working unchanged: kiosk requests are ordinary outbox rows.

Nothing of the kiosk engine is imported here: the dialog and the panel are imported
when first used, and the runner (``kiosk.runner``) by the bridge's worker, so the
window starts as fast as before and the GUI thread never waits for watchdog or
pre-flight to load.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QMainWindow

from meterai.i18n import _
from meterai.outbox.states import State
from meterai.settings import Paths, Settings, save_settings
from meterai_desk.presenter import SyncPresenter
from meterai_desk.sync_bridge import Runner, RunnerFactory, SyncBridge, default_factory
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.outbox_model import OutboxModel

if TYPE_CHECKING:
    from meterai.balance import LowBalance
    from meterai.kiosk.ledger import DayLedger
    from meterai.kiosk.setup import KioskSetup
    from meterai.outbox import Outbox
    from meterai.sync.events import Event, Subscriber
    from meterai_desk.kiosk.dialog import KioskDialog
    from meterai_desk.kiosk.notes import KioskNote
    from meterai_desk.kiosk.panel import KioskPanel

log = logging.getLogger(__name__)

LEDGER_SECONDS = 60.0  # the day's ledger read again (and at once after each stamp)
PROVIDER_LIST_SECONDS = 60.0  # the provider's serial-number list asked again, at most
Charged = Sequence[tuple[str, bool]]
Listed = tuple[float, Charged]  # when the list was asked for, and the list


class KioskMode(QObject):
    """``active`` from the moment kiosk mode is chosen until it is left (or fails to start)."""

    changed = Signal(bool)
    _relay = Signal(object)

    def __init__(
        self,
        window: QMainWindow,
        paths: Paths,
        settings: Settings,
        tasks: TaskRunner,
        bridge: SyncBridge | None,
        model: OutboxModel,
        presenter: SyncPresenter,
    ) -> None:
        super().__init__(window)
        self._window, self._paths, self._settings = window, paths, settings
        self._tasks, self._bridge, self._model = tasks, bridge, model
        self._presenter = presenter
        self.active = False
        self.setup: KioskSetup | None = None
        self.dialog: KioskDialog | None = None
        self.panel: KioskPanel | None = None
        self._factory: RunnerFactory | None = None
        self._listed: Listed | None = None
        self._charged_at = float("-inf")
        self._ledger_timer = QTimer(self)
        self._ledger_timer.setInterval(int(LEDGER_SECONDS * 1000))
        self._ledger_timer.timeout.connect(self.refresh_ledger)
        self._relay.connect(self._on_note)
        presenter.low_balance.connect(self._on_low_balance)
        if bridge is not None:
            bridge.started.connect(self._on_started)
            bridge.failed.connect(self._on_failed)
            bridge.sync_event.connect(self._on_sync_event)

    @property
    def available(self) -> bool:
        """Kiosk mode drives the sync engine: not with ``--no-sync``."""
        return self._bridge is not None

    @property
    def running(self) -> bool:
        """The kiosk itself is up (not merely chosen and still starting)."""
        bridge = self._bridge
        return (
            self.active
            and bridge is not None
            and bridge.running
            and (bridge.factory is self._factory)
        )

    def toggle(self) -> None:
        if self.active:
            self.leave()
        else:
            self.ask()

    def ask(self) -> None:
        """Open the dialog (window-modal, not blocking); its answer enters kiosk mode."""
        if not self.available or self.dialog is not None:
            return
        from meterai_desk.kiosk.dialog import KioskDialog

        dialog = KioskDialog(self._settings, self._tasks, self._window, self._paths)
        dialog.chosen.connect(self.enter)
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()

    def _dialog_closed(self, dialog: KioskDialog) -> None:
        dialog.deleteLater()
        self.dialog = None

    def enter(self, setup: KioskSetup) -> None:
        """Remember the setup, stop the ordinary runner and start the kiosk in its place."""
        if self._bridge is None:
            return
        from meterai.kiosk.setup import remember

        remember(self._settings, setup)
        paths, settings = self._paths, self._settings
        self._tasks.run(lambda: save_settings(paths, settings))
        self.setup, self.active = setup, True
        self._factory = _kiosk_factory(setup, self._relay.emit)
        self._bridge.switch(self._factory)
        panel = self._panel()
        panel.set_setup(setup)
        panel.set_low_balance(self._presenter.warning)
        panel.set_state("starting")
        panel.show()
        self._listed, self._charged_at = None, float("-inf")
        self._ledger_timer.start()
        self.changed.emit(True)

    def leave(self) -> None:
        """Back to the ordinary runner; the kiosk's requests stay in the outbox and go on."""
        if not self.active or self._bridge is None:
            return
        self.active = False
        self._factory = None
        self._ledger_timer.stop()
        self._bridge.switch(default_factory)
        if self.panel is not None:
            self.panel.set_state("stopping")
        self.changed.emit(False)

    def _panel(self) -> KioskPanel:
        if self.panel is None:
            from meterai_desk.kiosk.panel import KioskPanel

            self.panel = KioskPanel(self._window)
            self.panel.leave.clicked.connect(self.leave)
            from PySide6.QtCore import Qt  # not at import: see main_window's toolbar

            self._window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.panel)
        return self.panel

    # --- what the bridge and the kiosk report (GUI thread) ---------------------------

    def _on_started(self) -> None:
        if self.panel is None or self._bridge is None:
            return
        if self.active and self._bridge.factory is self._factory:
            self.panel.set_state("on")
            self.refresh_ledger()
        elif not self.active:
            self.panel.hide()

    def _on_failed(self, exc: BaseException) -> None:
        """The kiosk could not start (another kiosk holds the data folder, say): say why and
        go back to ordinary syncing rather than leave the operator with neither."""
        if self._bridge is None or self.panel is None:
            return
        if not self.active:
            self.panel.hide()  # left, even if ordinary syncing could not start either
        elif self._bridge.factory is self._factory:
            from meterai_desk.errors import show_error  # QMessageBox: not needed to start

            show_error(self._window, exc, str(self._paths.logs_dir))
            self.leave()

    @Slot(object)
    def _on_note(self, note: KioskNote) -> None:
        if note.row is not None:
            self._model.update_row(note.row)
            self._presenter.refresh()
        if self.panel is not None:
            self.panel.add(note)
            if note.warning is not None:
                self.panel.set_low_balance(note.warning)
                # The status bar reads the balance at its next count: make that now, not
                # at the next stamp or the 30 s period.
                self._presenter.refresh()

    def _on_sync_event(self, event: Event) -> None:
        """Done and stuck kiosk requests, for the counters and the recent events."""
        if not self.active or self.panel is None:
            return
        from meterai.sync.events import NeedsAttention, StateChanged
        from meterai_desk.kiosk.notes import KioskNote

        if not isinstance(event, StateChanged | NeedsAttention):
            return
        row = event.row
        if not row.customer:
            return
        if isinstance(event, StateChanged) and row.state == State.DONE:
            self.panel.add(KioskNote("done", row.customer, row.file_name, request_id=row.id))
            self.refresh_ledger()
        elif isinstance(event, NeedsAttention):
            self.panel.add(
                KioskNote("attention", row.customer, row.file_name, event.message, row.id)
            )

    def _on_low_balance(self, warning: LowBalance | None) -> None:
        if self.panel is not None:
            self.panel.set_low_balance(warning)

    # --- one ledger: the account's day across counters ----------------------------

    def refresh_ledger(self, *, ask_provider: bool = False) -> None:
        """The day's ledger for the panel, read on the database worker; at most once a
        minute (or now, ``ask_provider``) the running kiosk asks the provider for its
        serial-number list (on the pool) to set the day against."""
        if not self.active or self._bridge is None:
            return
        if ask_provider:
            self._charged_at = float("-inf")
        paths, balance, listed = self._paths, self._bridge.balance, self._listed
        self._tasks.db(
            lambda box: _todays_ledger(box, paths, balance, listed),
            self._show_ledger,
            _ignored,
            owner=self,
        )
        if time.monotonic() - self._charged_at >= PROVIDER_LIST_SECONDS:
            self._charged_at = time.monotonic()
            runner = self._bridge.runner
            self._tasks.run(lambda: _charged(runner), self._got_charged, _ignored, owner=self)

    def _got_charged(self, listed: Listed | None) -> None:
        if listed is not None:
            self._listed = listed
            self.refresh_ledger()

    def _show_ledger(self, ledger: DayLedger) -> None:
        if self.panel is not None:
            self.panel.set_ledger(ledger)

    def window_title(self) -> str:
        return _("Meterai Desk — kiosk mode") if self.active else _("Meterai Desk")


def _kiosk_factory(setup: KioskSetup, listener: Callable[[KioskNote], None]) -> RunnerFactory:
    """The bridge calls this on its worker, so the kiosk engine is imported there."""

    def make(paths: Paths, settings: Settings, events: Subscriber) -> Runner:
        from meterai_desk.kiosk.runner import kiosk_factory

        return kiosk_factory(setup, listener)(paths, settings, events)

    return make


def _todays_ledger(
    box: Outbox, paths: Paths, balance: int | None, listed: Listed | None
) -> DayLedger:
    from meterai.kiosk.ledger import todays_ledger

    if listed is None:
        return todays_ledger(box, paths, balance, None, None)
    return todays_ledger(box, paths, balance, listed[1], listed[0])


def _charged(runner: Runner | None) -> Listed | None:
    """On the pool: the provider's list, asked by the running kiosk (not a second login)."""
    from meterai_desk.kiosk.runner import KioskRunner

    if not isinstance(runner, KioskRunner):
        return None
    asked_at = time.time()
    return asked_at, tuple(runner.charged_serials())


def _ignored(exc: BaseException) -> None:
    """The panel's ledger is a view: a failed read keeps the last one, and says so in the log."""
    log.info("the day's ledger was not read this time: %s", exc)
