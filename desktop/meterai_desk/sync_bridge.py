"""The sync engine's events, brought to the GUI thread.

The runner owns its threads (and the embedded sandbox runs in a child process, see
``meterai.sync.connect``) and calls a plain subscriber from them; this adapter
re-emits each event through a queued ``Signal(object)`` so every handler runs on the
GUI thread (the Electrum way, without a string-keyed bus). Byte counts arrive per
chunk, far faster than a person can read, so they are kept as "latest value per
request" and handed on by a 100 ms timer instead of one signal per chunk.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from meterai.settings import Paths, Settings
from meterai_desk.tasks import TaskRunner

if TYPE_CHECKING:
    from PySide6.QtNetwork import QNetworkInformation

    from meterai.sync.connect import EmbeddedSandbox
    from meterai.sync.events import BytesMoved, Event, Subscriber

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_MS = 100


class Runner(Protocol):
    @property
    def balance(self) -> int | None: ...
    def start(self) -> None: ...
    def stop(self, timeout: float = 10.0) -> None: ...
    def wake(self) -> None: ...
    def set_online(self, online: bool) -> None: ...


RunnerFactory = Callable[[Paths, Settings, "Subscriber"], Runner]


def default_factory(paths: Paths, settings: Settings, events: Subscriber) -> Runner:
    from meterai.sync.runner import SyncRunner

    return SyncRunner(paths, settings, events=events)


class SyncBridge(QObject):
    """Hosts the runner for the window: start, stop, wake, and its events as signals.

    One runner at a time, because runners share the data folder's lock: ``switch``
    replaces the ordinary runner by another (kiosk mode) and back.
    """

    sync_event = Signal(object)  # not `event`: that is QObject.event(), which Qt calls
    progress = Signal(object)
    started = Signal()
    failed = Signal(object)
    _relay = Signal(object)

    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        tasks: TaskRunner,
        factory: RunnerFactory = default_factory,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._paths, self._settings, self._factory = paths, settings, factory
        self._tasks = tasks
        self._latest: dict[int, BytesMoved] = {}
        self._lock = threading.Lock()
        # Guards the runner and the sandbox, which workers start while the GUI may stop.
        self._life = threading.Lock()
        self._runner: Runner | None = None
        self._sandbox: EmbeddedSandbox | None = None
        self._served: Settings | None = None
        self._running = False
        self._starting = False
        self._switch_pending = False
        self._sandbox_stale = False
        self._closed = False
        self._relay.connect(self._deliver)
        self._timer = QTimer(self)
        self._timer.setInterval(PROGRESS_INTERVAL_MS)
        self._timer.timeout.connect(self._flush_progress)
        self._follow_os = not settings.profile.embedded
        self._following = False

    @property
    def running(self) -> bool:
        return self._running

    @property
    def factory(self) -> RunnerFactory:
        """What the running (or starting) runner was made by: tells kiosk mode from ordinary."""
        return self._factory

    @property
    def runner(self) -> Runner | None:
        """The runner in use (kiosk mode asks its own for the provider's serial numbers)."""
        return self._runner

    @property
    def balance(self) -> int | None:
        runner = self._runner
        return None if runner is None else runner.balance

    def start(self) -> None:
        """Start on a worker: the sandbox child and the provider login both take a while.

        Once: the window starts it after its first paint, and a kiosk switch or a new
        account asked for before then has started a runner already.
        """
        if self._closed or self._starting or self._runner is not None:
            return
        self._starting = True
        _out_of_the_collectors_sight()
        self._tasks.run(self._open, self._on_started, self._on_failed)

    def switch(self, factory: RunnerFactory) -> None:
        """Replace the runner by one from ``factory``, on a worker (stopping joins threads).

        The embedded sandbox stays up: it is the same provider either way, and starting
        it again costs seconds. A switch asked for while a start is under way follows it.
        """
        if self._closed:
            return
        self._factory = factory
        if self._starting:
            self._switch_pending = True
            return
        self._starting = True
        self._timer.stop()
        self._running = False
        with self._life:
            old, self._runner = self._runner, None
        self._tasks.run(lambda: self._reopen(old), self._on_started, self._on_failed)

    def reconnect(self) -> None:
        """The active profile changed (Settings → Account): a runner for the new one.

        The embedded sandbox is stopped too, and started again only if the new profile
        is the demo service, so a runner never talks to a provider it was not told of.
        """
        with self._life:
            self._sandbox_stale = True
        self._follow_os = not self._settings.profile.embedded
        self.switch(self._factory)

    def _reopen(self, old: Runner | None) -> Runner | None:
        """Runs on a worker thread."""
        if old is not None:
            old.stop()
        with self._life:
            stale, self._sandbox_stale = self._sandbox_stale, False
        if stale:
            self._stop_sandbox()
        return self._open()

    def _open(self) -> Runner | None:
        """Runs on a worker thread; ``None`` when the window closed meanwhile."""
        from meterai.credentials import no_prompts  # keyring and httpx: not at start-up

        # A runner here (ordinary or kiosk) must say "password unknown", not wait for it
        # on the terminal the app may have been started from.
        no_prompts()
        runner = self._factory(self._paths, self._served_settings(), self._on_event)
        try:
            runner.start()
        except BaseException:
            self._stop_sandbox()
            raise
        with self._life:
            closed = self._closed
            if not closed:
                self._runner = runner
        if closed:
            runner.stop()
            self._stop_sandbox()
            return None
        _out_of_the_collectors_sight()
        return runner

    def _served_settings(self) -> Settings:
        """The settings with the embedded sandbox's address, starting it once (worker).

        Not under the lock while it starts (seconds): ``stop`` on the GUI thread must not
        wait for that, and stopping the child meanwhile makes ``start`` raise here.
        """
        settings = self._settings
        if not settings.profile.embedded:
            return settings
        with self._life:
            if self._served is not None or self._closed:
                return self._served or settings
            sandbox = self._sandbox = _child_sandbox(self._paths)
        served = sandbox.start(settings.profile)
        with self._life:
            self._served = replace(
                settings, profiles={**settings.profiles, settings.active_profile: served}
            )
            return self._served

    def stop(self) -> None:
        """Stop and wait: the data-dir lock must be free before the process exits."""
        self._timer.stop()
        self._running = False
        with self._life:
            self._closed = True
            runner, self._runner = self._runner, None
        if runner is not None:
            runner.stop()
        self._stop_sandbox()

    def _stop_sandbox(self) -> None:
        with self._life:
            sandbox, self._sandbox, self._served = self._sandbox, None, None
        if sandbox is not None:
            sandbox.stop()

    def wake(self) -> None:
        if self._runner is not None:
            self._runner.wake()

    def _on_started(self, runner: Runner | None) -> None:
        self._starting = False
        if self._switch_pending:
            self._switch_pending = False
            self.switch(self._factory)
            return
        if runner is None:
            return
        self._running = True
        self._timer.start()
        self._follow_connectivity()
        self.started.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self._starting = False
        if self._switch_pending:
            self._switch_pending = False
            self.switch(self._factory)
            return
        self.failed.emit(exc)

    def _follow_connectivity(self) -> None:
        """The OS's word on connectivity, where a backend exists; the engine probes anyway.

        The embedded sandbox is on loopback, so the OS being offline says nothing about it.
        """
        if self._following or not self._follow_os:
            return
        # Imported here: QtNetwork costs 4 ms of start-up, and the embedded sandbox never needs it.
        from PySide6.QtNetwork import QNetworkInformation

        if not QNetworkInformation.loadDefaultBackend():
            return
        info = QNetworkInformation.instance()
        if info is None:
            return
        info.reachabilityChanged.connect(self._on_reachability)
        self._following = True

    def _on_reachability(self, reachability: QNetworkInformation.Reachability) -> None:
        from PySide6.QtNetwork import QNetworkInformation

        online = reachability == QNetworkInformation.Reachability.Online
        runner = self._runner
        if runner is not None:
            self._tasks.run(lambda: runner.set_online(online))

    def _on_event(self, event: Event) -> None:
        """Runs on the runner's threads: never touch a widget here."""
        from meterai.sync.events import BytesMoved  # imported by the runner already

        if isinstance(event, BytesMoved):
            with self._lock:
                self._latest[event.request_id] = event
            return
        self._relay.emit(event)

    @Slot(object)
    def _deliver(self, event: Event) -> None:
        """On the GUI thread: the queued connection from ``_relay`` brought it here."""
        self.sync_event.emit(event)

    def _flush_progress(self) -> None:
        with self._lock:
            latest, self._latest = self._latest, {}
        if latest:
            self.progress.emit(latest)


def _out_of_the_collectors_sight() -> None:
    """Freeze what exists now (modules, classes, widgets: kept until the exit anyway) out
    of the cyclic garbage collector's sight, as ``sync --once`` does.

    Escaped stall: a full collection walks every object it tracks (some 150,000 once
    the window is up) in one call that keeps the GIL: 90 ms of CPU, 300-390 ms at load
    6-10, started by the allocations of the sync's imports on a worker, while the GUI
    thread waited. Frozen when the sync starts and again once its runner is up, later
    collections walk only what the sync makes. Cost: cyclic garbage among these objects
    is not freed (reference counting still frees the rest).
    """
    import gc

    gc.freeze()


def _child_sandbox(paths: Paths) -> EmbeddedSandbox:
    """The embedded sandbox as a child process: its signing must not stall the window.

    Imported here, on the worker that starts it: the client and the trust checks it
    brings are not needed to show the window."""
    from meterai.sync.connect import EmbeddedSandbox

    return EmbeddedSandbox(paths, child=True)
