"""The kiosk: watched customer folders feeding the outbox, and the sync runner draining it.

One thread owns the inbox decisions and its own outbox connection (``run``); the
runner's workers stamp in parallel; watchdog only reports. Intake is serial on
purpose: two copies of the same bytes dropped at once are then decided one after
the other, so the second always sees the first and no stamp is bought twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from meterai.balance import LowBalance, low_balance, record_balance
from meterai.kiosk.folder import FolderDefaults, FolderSettingsInvalid, load_folder
from meterai.kiosk.settle import Settler, SettleRules, looks_complete, stat_file
from meterai.kiosk.taking import (
    KioskEvent,
    Layout,
    Taken,
    Taker,
    is_drop,
    is_special,
    stage,
    staged_files,
)
from meterai.kiosk.watch import Watcher
from meterai.outbox.drops import DropIndex
from meterai.outbox.store import Outbox
from meterai.settings import Paths, Settings
from meterai.sync.events import Subscriber, ignore
from meterai.sync.runner import RunnerConfig, SyncRunner

log = logging.getLogger(__name__)

Listener = Callable[[KioskEvent | LowBalance], None]


@dataclass(frozen=True)
class KioskConfig:
    inbox: Path
    outbox: Path
    rejected: Path
    defaults: FolderDefaults = field(default_factory=FolderDefaults)
    concurrency: int = 4
    rules: SettleRules = field(default_factory=SettleRules)
    rescan: float = 5.0
    tick: float = 0.1

    @property
    def layout(self) -> Layout:
        return Layout(self.inbox, self.outbox, self.rejected)


def default_rejected(inbox: Path) -> Path:
    """Beside the inbox, so moving a rejected file there is a rename on the same disk."""
    return inbox.resolve().parent / "rejected"


class Kiosk:
    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        config: KioskConfig,
        *,
        listener: Listener = lambda _e: None,
        sync_events: Subscriber = ignore,
        runner_config: RunnerConfig | None = None,
    ) -> None:
        self.paths = paths
        self.settings = settings
        self.config = config
        self.layout = config.layout
        self._listener = listener
        self.runner = SyncRunner(
            paths,
            settings,
            concurrency=config.concurrency,
            events=sync_events,
            config=runner_config,
        )
        self._settler = Settler(config.rules, time.monotonic, looks_complete)
        self._watcher = Watcher(config.inbox)
        self._taker: Taker | None = None
        self._folders: dict[str, FolderDefaults | FolderSettingsInvalid] = {}
        self._last_rescan = float("-inf")
        self._balance_seen: int | None = None
        self._warned = False

    # --- lifecycle (all on the calling thread) -------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Serve until ``stop`` is set: the CLI's and the tests' way to run a kiosk."""
        self.start()
        try:
            while not stop.wait(self.config.tick):
                self.poll()
        finally:
            self.stop()

    def start(self) -> None:
        for folder in (self.layout.inbox, self.layout.outbox, self.layout.rejected):
            folder.mkdir(parents=True, exist_ok=True)
        # The kiosk's connection before the runner's: on a fresh data folder the first
        # one creates the outbox, and a second racing it to switch the new file to WAL
        # failed ("database is locked"), stopping the runner while files kept being taken.
        outbox = Outbox.open(self.paths, check_integrity=False)
        self._taker = Taker(
            outbox, self.paths, self.layout, DropIndex(self.paths.data_dir / "kiosk.sqlite3")
        )
        try:
            self.runner.start()
        except BaseException:
            self.stop()
            raise
        self._watcher.start()

    def stop(self) -> None:
        self._watcher.stop()
        self.runner.stop()
        if self._taker is not None:
            self._taker.drops.close()
            self._taker.outbox.close()
            self._taker = None

    # --- one pass ------------------------------------------------------------------

    def poll(self) -> int:
        """Apply file events, rescan when due, take every ready file; returns files handled."""
        now = time.monotonic()
        for event in self._watcher.drain():
            self._apply(event.kind, event.path)
        handled = 0
        if now - self._last_rescan >= self.config.rescan:
            self._last_rescan = now
            self._folders.clear()
            self._rescan()
            handled += self._resume_staged()
        handled += self._take_ready()
        self._check_balance()
        return handled

    def _apply(self, kind: str, path: Path) -> None:
        if kind == "folder":
            if path.parent == self.layout.inbox and not path.name.startswith("."):
                self._watcher.watch(path)
                self._last_rescan = float("-inf")  # look at what it already holds
            return
        if self.layout.customer_of(path) is None:
            return
        if kind == "gone":
            self._settler.forget(path)
        elif is_special(path):
            self._take(path)
        elif kind == "closed":
            self._settler.closed(path, stat_file(path))
        elif kind == "written":
            self._settler.written(path, stat_file(path))
        else:
            self._settler.observe(path, stat_file(path))

    def _rescan(self) -> None:
        """The safety net under the events: every drop on disk is looked at again."""
        seen = set()
        for folder in sorted(self.layout.inbox.iterdir()):
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            self._watcher.watch(folder)
            for path in folder.iterdir():
                if not is_drop(path.name):
                    continue
                if path.is_file():
                    seen.add(path)
                    self._settler.observe(path, stat_file(path))
                elif is_special(path):
                    self._take(path)
        for path in self._settler.tracked():
            if path not in seen:
                self._settler.forget(path)

    def _resume_staged(self) -> int:
        handled = 0
        for customer, staged in staged_files(self.layout):
            defaults = self._folder(customer)
            if isinstance(defaults, FolderDefaults):
                self._emit(self._taker_().settle(customer, staged, defaults))
                handled += 1
        return handled

    def _take_ready(self) -> int:
        handled = 0
        for path in self._settler.ready():
            current = stat_file(path)
            if self.layout.customer_of(path) is None or current != self._settler.stat_of(path):
                self._settler.observe(path, current)
                continue
            handled += self._take(path)
        return handled

    def _take(self, path: Path) -> int:
        """Stage a drop and settle it; 0 if its folder's settings are invalid or it went."""
        customer = self.layout.customer_of(path)
        if customer is None:
            return 0
        defaults = self._folder(customer)
        if not isinstance(defaults, FolderDefaults):
            return 0
        self._settler.forget(path)
        staged = stage(self.layout, customer, path)
        if staged is None:
            return 0
        self._emit(self._taker_().settle(customer, staged, defaults))
        return 1

    def _folder(self, customer: str) -> FolderDefaults | FolderSettingsInvalid:
        """The folder's defaults, read once per rescan; a problem is written to rejected/."""
        if customer not in self._folders:
            taker = self._taker_()
            try:
                loaded: FolderDefaults | FolderSettingsInvalid = load_folder(
                    self.layout.inbox / customer, self.config.defaults, taker.outbox
                )
                taker.folder_valid(customer)
            except FolderSettingsInvalid as exc:
                loaded = exc
                event = taker.folder_invalid(customer, exc)
                if event is not None:
                    self._listener(event)
            self._folders[customer] = loaded
        return self._folders[customer]

    def _emit(self, event: KioskEvent) -> None:
        if isinstance(event, Taken) and not event.resumed:
            self.runner.wake()
        self._listener(event)

    def _check_balance(self) -> None:
        balance = self.runner.balance
        if balance is None or balance == self._balance_seen:
            return
        self._balance_seen = balance
        record_balance(self._taker_().outbox, balance)
        warning = low_balance(balance, self.settings)
        if warning is not None and not self._warned:
            self._listener(warning)
        self._warned = warning is not None

    def _taker_(self) -> Taker:
        if self._taker is None:
            raise RuntimeError("the kiosk is not started")
        return self._taker
