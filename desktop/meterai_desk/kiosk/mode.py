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
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMainWindow

from meterai.i18n import _
from meterai.outbox.states import State
from meterai.settings import Paths, Settings, save_settings
from meterai.sync.events import Event, NeedsAttention, StateChanged, Subscriber
from meterai_desk.errors import show_error
from meterai_desk.kiosk.notes import KioskNote
from meterai_desk.presenter import SyncPresenter
from meterai_desk.sync_bridge import Runner, RunnerFactory, SyncBridge, default_factory
from meterai_desk.tasks import TaskRunner
from meterai_desk.widgets.outbox_view import OutboxModel

if TYPE_CHECKING:
    from meterai.balance import LowBalance
    from meterai.kiosk.setup import KioskSetup
    from meterai_desk.kiosk.dialog import KioskDialog
    from meterai_desk.kiosk.panel import KioskPanel

log = logging.getLogger(__name__)


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
        self.changed.emit(True)

    def leave(self) -> None:
        """Back to the ordinary runner; the kiosk's requests stay in the outbox and go on."""
        if not self.active or self._bridge is None:
            return
        self.active = False
        self._factory = None
        self._bridge.switch(default_factory)
        if self.panel is not None:
            self.panel.set_state("stopping")
        self.changed.emit(False)

    def _panel(self) -> KioskPanel:
        if self.panel is None:
            from meterai_desk.kiosk.panel import KioskPanel

            self.panel = KioskPanel(self._window)
            self.panel.leave.clicked.connect(self.leave)
            self._window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.panel)
        return self.panel

    # --- what the bridge and the kiosk report (GUI thread) ---------------------------

    def _on_started(self) -> None:
        if self.panel is None or self._bridge is None:
            return
        if self.active and self._bridge.factory is self._factory:
            self.panel.set_state("on")
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
        if not isinstance(event, StateChanged | NeedsAttention):
            return
        row = event.row
        if not row.customer:
            return
        if isinstance(event, StateChanged) and row.state == State.DONE:
            self.panel.add(KioskNote("done", row.customer, row.file_name, request_id=row.id))
        elif isinstance(event, NeedsAttention):
            self.panel.add(
                KioskNote("attention", row.customer, row.file_name, event.message, row.id)
            )

    def _on_low_balance(self, warning: LowBalance | None) -> None:
        if self.panel is not None:
            self.panel.set_low_balance(warning)

    def window_title(self) -> str:
        return _("Meterai Desk — kiosk mode") if self.active else _("Meterai Desk")


def _kiosk_factory(setup: KioskSetup, listener: Callable[[KioskNote], None]) -> RunnerFactory:
    """The bridge calls this on its worker, so the kiosk engine is imported there."""

    def make(paths: Paths, settings: Settings, events: Subscriber) -> Runner:
        from meterai_desk.kiosk.runner import kiosk_factory

        return kiosk_factory(setup, listener)(paths, settings, events)

    return make
