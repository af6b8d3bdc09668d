"""The engine with real I/O: worker threads, the provider over HTTPS, one runner per data dir.

Each worker thread has its own outbox connection (SQLite connections are per thread)
and its own ``Engine``; they share one provider client (thread-safe, single-flight
login) and one ``Session``. A request is stepped by one worker at a time, and keeps
being stepped while it makes progress. Concurrency K means K requests talking to the
provider at once: checking and saving a downloaded stamp never calls the provider, so
it runs on a worker of its own and does not hold one of the K slots meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from meterai import disk, doctypes, system
from meterai.errors import (
    AuthFailed,
    DiskError,
    MeteraiError,
    ProviderError,
    StoreLocked,
    VerificationError,
)
from meterai.i18n import N_
from meterai.outbox.states import ACTIVE, State
from meterai.outbox.store import Outbox, RequestRow
from meterai.provider.link import RateFloor
from meterai.provider.ports import Provider
from meterai.settings import Paths, Settings
from meterai.sync.adopt import adopt_serial
from meterai.sync.connect import Connection, connect
from meterai.sync.engine import (
    Engine,
    EngineConfig,
    Point,
    ReconcileReport,
    Session,
    Verdict,
    no_point,
)
from meterai.sync.events import (
    BytesMoved,
    Connectivity,
    Deadline,
    Event,
    StateChanged,
    Subscriber,
    ignore,
)
from meterai.tracebacks import write_evidence
from meterai.verify import Expectation, verify_stamped

log = logging.getLogger(__name__)

# The steps that never call the provider: verifying the download and saving the copy.
LOCAL_STATES: frozenset[State] = frozenset({State.DOWNLOADED, State.VERIFIED})
_LOCAL_WORKERS = 1
_START_WORKERS = 3
"""The start-up calls (reconciliation, balance, document types) run on workers of their own."""
UPLOAD_STATES: frozenset[State] = frozenset({State.QUEUED})
"""What may move while the start-up calls are out: uploading buys nothing."""
_BUSY_PAUSE = 1.0
# One turn of a worker steps a request at most through every state once: more means it
# is going round in circles, and it goes back to the queue instead of holding the worker.
_MAX_TURN_STEPS = len(State)

if TYPE_CHECKING:
    from meterai.outbox.postgres.shared import CounterLinks
    from meterai.provider.session import TokenShare


class SyncBusy(MeteraiError):
    code = "sync_busy"
    template = N_("Another Meterai Desk is already syncing this data folder ({path}).")


@dataclass(frozen=True)
class RunnerConfig:
    concurrency: int = 2
    stall_timeout: float = 30.0
    probe_interval: float = 30.0
    # ``--once`` still waits for a request due within this many seconds (a short backoff,
    # the reconciliation grace) rather than leaving it for the next run.
    linger: float = 15.0
    # ``--once`` gives up when no request got further (a new state, more bytes
    # acknowledged) for this long; the steps still in flight then end within the stall
    # timeout, so the printed deadline is the sum of the two.
    patience: float = 60.0
    # An answer slower than this (bytes per second over a window) is cut and retried.
    rate_floor: RateFloor = field(default_factory=RateFloor)
    engine: EngineConfig = field(default_factory=EngineConfig)


@dataclass(frozen=True, eq=False)
class _Lane:
    """A pool of workers and the states it drives: the provider's slots, or local work."""

    pool: ThreadPoolExecutor
    states: frozenset[State]
    width: int


class _StartPool(ThreadPoolExecutor):
    """The start-up calls' workers. ``sync --once`` that stops (nothing moved for its
    patience) leaves the calls still out behind instead of waiting for them: a balance
    or a document list answering slowly must not hold the run past the deadline it
    printed. Nothing waits on their answers, and they buy nothing."""

    def __init__(self, *, abandon: bool) -> None:
        super().__init__(_START_WORKERS, thread_name_prefix="meterai-start")
        self._abandon = abandon

    def __exit__(self, *exc: object) -> None:
        self.shutdown(wait=not self._abandon, cancel_futures=self._abandon)


@dataclass
class Summary:
    steps: int = 0
    done: int = 0
    attention: int = 0


class ProgressWatch:
    """When did any request last get further than it had been in this run?

    Only new ground counts: a state the request had not reached in this run, or more
    bytes acknowledged than before. A request that goes round in circles, or fails and
    retries, does not keep ``sync --once`` alive.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._reached: set[tuple[int, State]] = set()
        self._bytes: dict[tuple[int, str], int] = {}
        self.last = clock()

    def saw(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, StateChanged):
                key = (event.row.id, event.row.state)
                if key not in self._reached:
                    self._reached.add(key)
                    self.last = self._clock()
            elif isinstance(event, BytesMoved):
                phase = (event.request_id, event.phase)
                if event.done > self._bytes.get(phase, 0):
                    self._bytes[phase] = event.done
                    self.last = self._clock()


class SyncRunner:
    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        *,
        concurrency: int = 2,
        events: Subscriber = ignore,
        config: RunnerConfig | None = None,
        credentials: Callable[[], tuple[str, str]] | None = None,
        point: Point = no_point,
    ) -> None:
        self.paths = paths
        self.settings = settings
        # Given by the self-test: the sandbox's test account never asks the user's keyring.
        self._credentials = credentials
        # The engine's protocol points: only the crash tests hook into them.
        self._point = point
        base = config or RunnerConfig(
            stall_timeout=_env_float("METERAI_STALL_TIMEOUT", 30.0),
            rate_floor=RateFloor(_env_float("METERAI_RATE_FLOOR", RateFloor.bytes_per_second)),
        )
        self.config = replace(base, concurrency=max(1, min(concurrency, 8)))
        self._user_events = events
        self._watch = ProgressWatch()
        self._held: dict[int, tuple[int, float]] = {}
        self._session = Session()
        self._local = threading.local()
        self._outboxes: list[Outbox] = []
        self._cond = threading.Condition()
        self._inflight: dict[int, _Lane] = {}
        self._stopping = False
        self._woken = False
        self._online: bool | None = None
        self._thread: threading.Thread | None = None
        self._lock_file: IO[bytes] | None = None
        self._link: Connection | None = None
        self._links: CounterLinks | None = None
        self.balance: int | None = None
        self._once = False
        self._refusal: DiskError | None = None
        self._start_abandoned = False
        self._left_behind: list[ThreadPoolExecutor] = []

    # --- lifecycle -----------------------------------------------------------------

    def open(self) -> None:
        """Take the data-dir lock, then connect (``sync.connect``: trust roots first).

        Whatever was started before a refusal (the lock) is released.
        """
        try:
            self._lock_file = _take_lock(self.paths)
            self._links = counter_links(self.paths, self.wake)
            self._link = connect(
                self.paths,
                self.settings.profile,
                credentials=self._credentials,
                stall_timeout=self.config.stall_timeout,
                rate_floor=self.config.rate_floor,
                token_share=self._token_share(),
            )
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for box in self._outboxes:
            with contextlib.suppress(Exception):
                box.close()
        self._outboxes.clear()
        if self._link is not None:
            self._close_link(self._link)
            self._link = None
        if self._links is not None:
            self._links.close()
            self._links = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _close_link(self, link: Connection) -> None:
        """Close the provider link now, or once the start-up calls a stopped ``--once`` run
        left behind are back (on a thread of its own, so the run still ends on time).

        Closed under such a call, its socket's number went to the next file the process
        opened (the outbox, for ``sync --once``'s summary), and the call's TLS, woken by
        the provider's next byte, read that file and wrote its alert into it: "file is
        not a database" (found when tests ran in reverse order).
        """
        pools, self._left_behind = self._left_behind, []
        if not pools:
            link.close()
            return

        def close_when_back() -> None:
            for pool in pools:
                pool.shutdown(wait=True)
            link.close()

        threading.Thread(target=close_when_back, name="meterai-start-close").start()

    def _token_share(self) -> TokenShare | None:
        """On a shared database, the account's token is shared by every counter."""
        if self._links is None:
            return None
        from meterai.credentials import user_for

        profile = self.settings.profile
        login = profile.base_urls.get("backendservice", f"profile:{profile.name}")
        return self._links.token_share(login, user_for(profile))

    def start(self) -> None:
        """Drain in the background until ``stop()``: the GUI's and the kiosk's mode."""
        self.open()
        self._thread = threading.Thread(target=self._serve, name="meterai-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.close()

    def wake(self) -> None:
        with self._cond:
            self._woken = True
            self._cond.notify_all()

    def set_online(self, online: bool, detail: str = "") -> None:
        """Connectivity changed (the OS says so, or a probe did): back online resets backoff.

        ``detail`` says why when it is not the network (the provider refused the login)."""
        if self._start_abandoned:
            return  # the answer of a start-up call a finished ``--once`` run left behind
        was, self._online = self._online, online
        if online and was is False:
            try:
                rescheduled = self._outbox().reschedule_waiting(time.time(), 2.0, random.Random())
                log.info("back online: %d waiting requests rescheduled", rescheduled)
            except StoreLocked as exc:  # they keep their backoff, which still ends
                log.warning("back online, backoff not reset: %s", exc)
            self.wake()
        if was != online:
            self._events(Connectivity(online, detail))

    def _events(self, event: Event) -> None:
        self._watch.saw(event)
        self._user_events(event)

    def charged_serials(self) -> list[tuple[str, bool]]:
        """Every serial number the provider charged to the account: (SN, stamped?)."""
        return [(s.sn, s.stamped) for s in self._connection().provider.serials()]

    def current_balance(self) -> int:
        """The account's balance asked of the provider now (the kiosk's day ledger)."""
        return self._connection().client.balance().saldo

    def reconcile(self) -> ReconcileReport:
        """Match the provider's serial numbers to requests now (``meterai recover``)."""
        return self._engine().reconcile()

    def adopt(self, text: str) -> str:
        """Take an unused serial number of the account as an orphan (``recover --adopt``)."""
        return adopt_serial(self._outbox(), self._connection().provider, text)

    # --- draining ------------------------------------------------------------------

    def run_once(self) -> Summary:
        """Drain until nothing is due now (the CLI's ``sync --once``)."""
        owns = self._link is None
        if owns:
            self.open()
        self._once, self._refusal = True, None
        try:
            summary = self._drain(stop_when_idle=True)
        finally:
            self._once = False
            if owns:
                self.close()
        if self._refusal is not None:
            raise self._refusal
        return summary

    def _serve(self) -> None:
        try:
            self._drain(stop_when_idle=False)
        except Exception:
            log.exception("sync runner stopped by an unexpected error")

    def _drain(self, *, stop_when_idle: bool) -> Summary:
        summary = Summary()
        width = self.config.concurrency
        self._watch = ProgressWatch()
        self._start_abandoned = False
        shown: float | None = None
        with (
            ThreadPoolExecutor(width, thread_name_prefix="meterai-step") as pool,
            ThreadPoolExecutor(_LOCAL_WORKERS, thread_name_prefix="meterai-local") as local,
            _StartPool(abandon=stop_when_idle) as start,
        ):
            lanes = [
                _Lane(local, LOCAL_STATES, _LOCAL_WORKERS),
                _Lane(pool, ACTIVE - LOCAL_STATES, width),
            ]
            uploads = [_Lane(pool, UPLOAD_STATES, width)]
            if stop_when_idle:
                shown = self._show_deadline(shown)
            starting = self._begin_startup(start)
            last_probe = time.time()
            while True:
                if stop_when_idle and time.time() >= self._watch.last + self.config.patience:
                    log.info("nothing moved for %g s: stopping", self.config.patience)
                    with self._cond:
                        self._stopping = True
                    break
                started = starting.done() and starting.result() is None
                submitted = self._dispatch_all(lanes if started else uploads, summary)
                with self._cond:
                    if self._stopping:
                        break
                    if started and not submitted and not self._inflight and not self._woken:
                        idle = self._idle_timeout()
                        if stop_when_idle and idle > self.config.linger:
                            break
                        if stop_when_idle:
                            shown = self._show_deadline(shown)
                            idle = min(idle, self._watch.last + self.config.patience - time.time())
                        self._cond.wait(max(0.0, min(idle, self.config.probe_interval)))
                    elif not submitted and not self._woken:
                        self._cond.wait(1.0)
                    self._woken = False
                if not stop_when_idle and time.time() - last_probe > self.config.probe_interval:
                    self._probe()
                    last_probe = time.time()
            self._wait_inflight()
            self._start_abandoned = stop_when_idle and not starting.done()
            if self._start_abandoned:
                self._left_behind.append(start)
        if stop_when_idle:
            with self._cond:
                self._stopping = False  # gave up on this run; the runner may run again
        return summary

    def _show_deadline(self, shown: float | None) -> float:
        """Tell the user when ``--once`` stops at the latest, each time that changes."""
        # Whole seconds, rounded up: the deadline is shown to the second and must not be early.
        until = float(
            math.ceil(self._watch.last + self.config.patience + self.config.stall_timeout)
        )
        if until != shown:
            self._user_events(Deadline(until))
        return until

    def _begin_startup(self, start: ThreadPoolExecutor) -> Future[None]:
        """The start-up calls, while queued documents already upload.

        On an applicant's link (300 ms round trip) the calls held the first byte of a
        document back by a second or more. An upload buys nothing and commits to
        nothing, so it need not wait; buying a serial number does, since reconciliation
        first settles which serial numbers the account already holds.
        """
        future = start.submit(self._startup, start)
        future.add_done_callback(lambda _done: self.wake())
        return future

    def _startup(self, pool: ThreadPoolExecutor) -> None:
        """The start-up calls side by side: on a 150 ms link each one in turn cost a round trip."""
        reconciling = pool.submit(self._reconcile_at_start)
        self._probe(types=pool)
        reconciling.result()

    def _reconcile_at_start(self) -> None:
        try:
            self._engine().reconcile()
        except (ProviderError, OSError, StoreLocked, DiskError) as exc:
            log.info("reconciliation postponed: %s", exc)

    def _probe(self, types: ThreadPoolExecutor | None = None) -> None:
        """Is the provider reachable? Refreshes balance and the cached document types."""
        try:
            pending = None if types is None else types.submit(self._refresh_types)
            self.balance = self._connection().client.balance().saldo
            if pending is None:
                self._refresh_types()
            else:
                pending.result()
        except AuthFailed as exc:
            # Reached, and it said no: the user name or password, not the network.
            self.set_online(False, exc.user_message())
            log.warning("provider refused the login: %s", exc)
            return
        except (ProviderError, OSError) as exc:
            self.set_online(False)
            log.info("provider unreachable: %s", exc)
            return
        except (StoreLocked, DiskError) as exc:
            log.warning("document types not cached this time: %s", exc)
        self.set_online(True)

    def _refresh_types(self) -> None:
        types = self._connection().client.doc_types()
        self._outbox().cache_put(
            doctypes.CACHE_KEY, [{"id": t.id, "kode": t.kode, "nama": t.nama} for t in types]
        )

    def _connection(self) -> Connection:
        assert self._link is not None, "open() the runner first"
        return self._link

    def _dispatch_all(self, lanes: list[_Lane], summary: Summary) -> int:
        """Hand due requests to the lanes; a database another program holds past the busy
        timeout postpones this round rather than stopping the runner (nothing is lost)."""
        try:
            return sum(self._dispatch(lane, summary) for lane in lanes)
        except StoreLocked as exc:
            log.warning("outbox busy, trying again shortly: %s", exc)
            return 0

    def _dispatch(self, lane: _Lane, summary: Summary) -> int:
        with self._cond:
            busy = set(self._inflight)
            free = lane.width - sum(1 for held in self._inflight.values() if held.pool is lane.pool)
        if free <= 0:
            return 0
        now = time.time()
        held = {i for i, (_count, until) in self._held.items() if until > now}
        skip = busy | held
        due = [
            r
            for r in self._outbox().due(now, states=lane.states, limit=free + len(skip))
            if r.id not in skip
        ][:free]
        for row in due:
            with self._cond:
                self._inflight[row.id] = lane
            future = lane.pool.submit(self._work, row, lane.states)
            future.add_done_callback(self._finished(row.id, summary))
        return len(due)

    def _finished(self, request_id: int, summary: Summary) -> Callable[[Future[State]], None]:
        def done(future: Future[State]) -> None:
            exc = future.exception()
            if exc is not None and not self._halted_by_disk(exc):
                self._hold_back(request_id, exc)
            with self._cond:
                self._inflight.pop(request_id, None)
                self._woken = True  # a slot is free, or the request moved to another lane
                if exc is None:
                    state = future.result()
                    summary.done += state == State.DONE
                    summary.attention += state == State.NEEDS_ATTENTION
                self._cond.notify_all()

        return done

    def _halted_by_disk(self, exc: BaseException) -> bool:
        """A read-only folder or a full disk fails every request alike: ``run_once`` stops
        and raises it (the CLI's one message, exit 1), and no request is charged for it;
        nothing was written, so the next run resumes where this one stopped. The
        long-running mode holds the request back instead, and resumes once writes work."""
        refusal = disk.disk_error(exc, self.paths.data_dir) if disk.refused(exc) else None
        if refusal is None or not self._once:
            return False
        log.warning("stopping the run: %s", refusal)
        with self._cond:
            self._refusal = self._refusal or refusal
            self._stopping = True
            self._cond.notify_all()
        return True

    def _hold_back(self, request_id: int, exc: BaseException) -> None:
        """A failure outside the engine's own handling (the outbox, the handling itself):
        keep the request out of this run for a growing while, so it cannot spin."""
        count = self._held.get(request_id, (0, 0.0))[0] + 1
        delay = max(1.0, self.config.engine.backoff.delay(count, random.Random()))
        until = time.time() + delay
        self._held[request_id] = (count, until)
        log.error("step of request %s failed; held back %.1f s", request_id, delay, exc_info=exc)
        try:
            self._outbox().note(
                request_id,
                f"internal error, held back: {type(exc).__name__}: {exc}"[:300],
                next_attempt_at=until,
            )
        except Exception as again:  # the outbox may be what failed: the hold still applies
            log.warning("could not record the hold of request %s: %s", request_id, again)

    def _work(self, claimed: RequestRow, states: frozenset[State]) -> State:
        """Keep stepping one request while it moves forward, is due, and stays in ``states``."""
        engine = self._engine()
        request_id = claimed.id
        self._outbox().bring_files(claimed)
        known: RequestRow | None = None
        for _turn in range(_MAX_TURN_STEPS):
            stepped = engine.advance(request_id, known)
            known = stepped.after  # read after the step: the next one starts from it
            state = known.state
            moved = state != stepped.before.state and state in states
            if not moved or (stepped.after.next_attempt_at or 0) > time.time() or self._stopping:
                return state
            if not stepped.held:
                return state  # let go to another counter (a shared database's owner)
        return state

    def _wait_inflight(self) -> None:
        with self._cond:
            while self._inflight:
                self._cond.wait(1.0)

    def _idle_timeout(self) -> float:
        try:
            nxt = self._outbox().next_due_at()
        except StoreLocked:
            return _BUSY_PAUSE
        if nxt is None:
            return float("inf")
        now = time.time()
        holds = [until for _count, until in self._held.values() if until > now]
        if nxt <= now and holds:
            nxt = min(holds)  # what is due now is held back (approximately: the first to end)
        return max(0.05, nxt - now)

    # --- per-thread parts ----------------------------------------------------------

    def _outbox(self) -> Outbox:
        box: Outbox | None = getattr(self._local, "outbox", None)
        if box is None:
            box = Outbox.open(self.paths, check_integrity=False)
            self._local.outbox = box
            self._outboxes.append(box)
        return box

    def _engine(self) -> Engine:
        engine: Engine | None = getattr(self._local, "engine", None)
        if engine is None:
            provider: Provider = self._connection().provider
            engine = Engine(
                outbox=self._outbox(),
                provider=provider,
                docs_dir=self.paths.docs_dir,
                stamped_dir=self.paths.stamped_dir,
                verifier=self._verify,
                clock=time.time,
                rng=random.Random(),
                config=self.config.engine,
                events=self._events,
                point=self._point,
                session=self._session,
                evidence=self._write_evidence,
            )
            self._local.engine = engine
        return engine

    def _write_evidence(self, exc: BaseException) -> str:
        path = write_evidence(self.paths.logs_dir, exc, f"Meterai Desk {_version()}")
        return str(path) if path is not None else str(self.paths.logs_dir)

    def _verify(self, row: RequestRow, stamped: Path, original: Path) -> Verdict:
        limit = self._engine().result_limit(row)
        if stamped.stat().st_size > limit:  # never parse a file no stamp could make
            raise VerificationError(
                detail=f"the stamped file is {stamped.stat().st_size} bytes, over {limit}"
            )
        report = verify_stamped(
            stamped,
            self._connection().trust,
            Expectation(
                original=original, page_index=row.page_index, rect=row.rect, serial_number=row.sn
            ),
        )
        return Verdict(report.ok, report.summary(), report.reason())

    def __enter__(self) -> SyncRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def counter_links(paths: Paths, wake: Callable[[], None]) -> CounterLinks | None:
    """A counter on a shared database shares the login token and wakes on NOTIFY."""
    from meterai.outbox.postgres.address import chosen_database

    url = chosen_database(paths)
    if url is None:
        return None
    from meterai.outbox.postgres.shared import CounterLinks

    return CounterLinks(url, wake)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("meterai-desk")
    except PackageNotFoundError:
        return "(development)"


def _env_float(name: str, default: float) -> float:
    """Operators on very slow links (and the torture tests) tune the stall timeout and the
    rate floor (bytes per second) here."""
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _take_lock(paths: Paths) -> IO[bytes]:
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    handle = system.try_lock(paths.data_dir / "sync.lock")
    if handle is None:
        raise SyncBusy(path=str(paths.data_dir))
    return handle


@contextlib.contextmanager
def running(paths: Paths, settings: Settings, **kwargs: Any) -> Iterator[SyncRunner]:
    runner = SyncRunner(paths, settings, **kwargs)
    runner.start()
    try:
        yield runner
    finally:
        runner.stop()
