"""The kiosk as a runner the ``SyncBridge`` can host: kiosk mode in the GUI, same engine as the CLI.

``Kiosk`` owns an ordinary ``SyncRunner`` and adds the watched inbox; its decisions
and its SQLite connection belong to one thread (``Kiosk.run``'s contract), so start,
every poll and stop happen on a thread of this adapter. The bridge keeps doing what
it does for the ordinary runner: starting on a worker, the embedded sandbox, events
to the GUI thread. Imported only when kiosk mode is entered (it loads the engine).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

from meterai.balance import LowBalance
from meterai.kiosk import (
    Duplicate,
    FolderDefaults,
    FolderInvalid,
    Kiosk,
    KioskConfig,
    KioskEvent,
    Rejected,
    Taken,
)
from meterai.kiosk.settle import SettleRules
from meterai.kiosk.setup import KioskSetup
from meterai.settings import Paths, Settings
from meterai.sync.events import Subscriber
from meterai_desk.kiosk.notes import KioskNote
from meterai_desk.sync_bridge import RunnerFactory

log = logging.getLogger(__name__)

Listener = Callable[[KioskNote], None]

# The grace after a change is the CLI's; ``None`` takes the settle time the operator chose
# (tests put shorter rules here).
SETTLE_RULES_OVERRIDE: SettleRules | None = None
GRACE = 0.3
RESCAN_SECONDS = 5.0
RETRY_SECONDS = 5.0
START_TIMEOUT = 60.0


def note_of(event: KioskEvent | LowBalance) -> KioskNote:
    """A kiosk event as a plain note (runs on the kiosk's thread)."""
    if isinstance(event, Taken):
        return KioskNote(
            "taken", event.customer, event.file, request_id=event.request.id, row=event.request
        )
    if isinstance(event, Duplicate):
        return KioskNote("duplicate", event.customer, event.file, request_id=event.existing.id)
    if isinstance(event, Rejected):
        return KioskNote("rejected", event.customer, event.file, event.reason)
    if isinstance(event, FolderInvalid):
        return KioskNote("folder", event.customer, detail=event.message)
    return KioskNote("low_balance", warning=event)


def kiosk_factory(setup: KioskSetup, listener: Listener) -> RunnerFactory:
    """A ``RunnerFactory`` for the bridge: a kiosk over ``setup``, telling ``listener``."""

    def make(paths: Paths, settings: Settings, events: Subscriber) -> KioskRunner:
        rules = SETTLE_RULES_OVERRIDE or SettleRules(
            settle=setup.settle, grace=min(GRACE, setup.settle)
        )
        config = KioskConfig(
            inbox=setup.inbox,
            outbox=setup.outbox,
            rejected=setup.rejected,
            defaults=FolderDefaults(doc_type=setup.doc_type),
            concurrency=setup.concurrency,
            rules=rules,
            rescan=RESCAN_SECONDS,
        )
        kiosk = Kiosk(
            paths, settings, config, listener=lambda e: listener(note_of(e)), sync_events=events
        )
        return KioskRunner(kiosk, listener)

    return make


class KioskRunner:
    def __init__(self, kiosk: Kiosk, listener: Listener) -> None:
        self.kiosk = kiosk
        self._listener = listener
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._troubled = False

    @property
    def balance(self) -> int | None:
        return self.kiosk.runner.balance

    def start(self) -> None:
        """Return once the kiosk is up, raising what stopped it (the data folder locked by
        another kiosk, say) so the bridge reports it as it does the ordinary runner's."""
        self._thread = threading.Thread(target=self._serve, name="meterai-kiosk", daemon=True)
        self._thread.start()
        self._ready.wait(START_TIMEOUT)
        if self._error is not None:
            self._thread.join()
            raise self._error

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        self.kiosk.runner.wake()

    def charged_serials(self) -> list[tuple[str, bool]]:
        """The provider's list of the account's serial numbers (a call: on a worker)."""
        return self.kiosk.runner.charged_serials()

    def set_online(self, online: bool) -> None:
        self.kiosk.runner.set_online(online)

    def _serve(self) -> None:
        try:
            self.kiosk.start()
        except BaseException as exc:
            self._error = exc
            with contextlib.suppress(Exception):
                self.kiosk.stop()
            self._ready.set()
            return
        self._ready.set()
        try:
            while not self._stop.wait(self.kiosk.config.tick):
                self._poll()
        finally:
            self.kiosk.stop()

    def _poll(self) -> None:
        """One pass; a failure (a share gone away, a full disk) is told once and retried,
        because a counter kiosk that stops taking files silently is the worst outcome."""
        try:
            self.kiosk.poll()
        except Exception as exc:
            log.exception("kiosk pass failed; trying again in %s s", RETRY_SECONDS)
            if not self._troubled:
                self._troubled = True
                self._listener(KioskNote("trouble", detail=_reason(exc)))
            self._stop.wait(RETRY_SECONDS)
            return
        if self._troubled:
            self._troubled = False
            self._listener(KioskNote("recovered"))


def _reason(exc: Exception) -> str:
    user_message = getattr(exc, "user_message", None)
    if callable(user_message):
        return str(user_message())
    return str(exc) or type(exc).__name__
