"""A seeded, deterministic simulation of the engine against a model of the provider.

It drives the real ``Engine`` and the real SQLite ``Outbox`` with a fake clock, a seeded
random source and an in-memory provider that fails the way the real one does: answers
lost after the provider committed, 503 queues with Retry-After, signing errors to retry,
outages, no balance. Crashes are modelled at every protocol point (the engine's
``point`` hook raises), restarts reopen the database, and "restore a backup" swaps the
database for an older copy. Any failing seed replays exactly.

Kept in the package (not only in tests) so ``bench/torture.py`` can run 10,000 seeds.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from meterai.errors import BalanceExhausted, VerificationError
from meterai.outbox.backup import copy_checked
from meterai.outbox.states import State
from meterai.outbox.store import NewRequest, Outbox, RequestRow
from meterai.provider.errors import (
    MalformedResponse,
    ServiceBusy,
    ServiceUnreachable,
    SigningRetry,
)
from meterai.provider.ports import Progress, SerialInfo, SerialOrder, Sink, StampOrder
from meterai.settings import resolve_paths
from meterai.sync.backoff import Backoff
from meterai.sync.engine import Engine, EngineConfig, Session, StepCrash, Verdict

STAMP_MARK = b"\n%%SIM-STAMP "
SIM_RESULTS = "sim-result/"
"""The simulated provider's own result locations: it plays no real provider's names."""


@dataclass
class Faults:
    """Probabilities per call; ``lost_after_commit`` is the one that burns stamps elsewhere."""

    unreachable: float = 0.05
    lost_after_commit: float = 0.08
    busy: float = 0.05
    malformed: float = 0.02
    signing_retry: float = 0.05
    crash: float = 0.03
    offline: bool = False

    @classmethod
    def none(cls) -> Faults:
        return cls(0, 0, 0, 0, 0, 0)


@dataclass
class SimSerial:
    sn: str
    namafile: str
    nodoc: str
    file_id: str
    stamp_count: int = 0


class SimProvider:
    """The provider's observable behaviour, in memory."""

    def __init__(self, rng: random.Random, faults: Faults, balance: int = 10_000) -> None:
        self.rng = rng
        self.faults = faults
        self.balance = balance
        self.files: dict[str, bytes] = {}
        self.issued: dict[str, SimSerial] = {}
        self.results: dict[str, bytes] = {}
        self._next = 0

    # --- fault plumbing ----------------------------------------------------------

    def _before(self, endpoint: str) -> None:
        f = self.faults
        if f.offline or self.rng.random() < f.unreachable:
            raise ServiceUnreachable(detail="connect", endpoint=endpoint, maybe_committed=False)
        if self.rng.random() < f.busy:
            raise ServiceBusy(
                status=503,
                endpoint=endpoint,
                retry_after=self.rng.choice([1, 5, 30]),
                queue_position=self.rng.randint(1, 500),
                http_status=503,
            )

    def _after(self, endpoint: str) -> None:
        if self.rng.random() < self.faults.lost_after_commit:
            raise ServiceUnreachable(detail="read", endpoint=endpoint, maybe_committed=True)
        if self.rng.random() < self.faults.malformed:
            raise MalformedResponse(
                detail="truncated JSON", endpoint=endpoint, maybe_committed=True
            )

    def _id(self, prefix: str) -> str:
        self._next += 1
        return f"{prefix}{self._next:08d}"

    # --- the Provider protocol ---------------------------------------------------

    def upload(self, path: Path, progress: Progress) -> str:
        self._before("upload")
        data = path.read_bytes()
        file_id = self._id("F")
        self.files[file_id] = data
        progress(len(data), len(data))
        self._after("upload")
        return file_id

    def buy_serial(self, order: SerialOrder) -> str:
        self._before("stampv2")
        if self.balance <= 0:
            raise BalanceExhausted(endpoint="stampv2")
        self.balance -= 1
        sn = self._id("SN")
        self.issued[sn] = SimSerial(sn, order.namafile, order.nodoc, order.file_id)
        self._after("stampv2")
        return sn

    def reassign_serial(self, sn: str, *, nodoc: str, doc_type: str, namafile: str) -> None:
        self._before("update-data")
        serial = self.issued[sn]
        assert serial.stamp_count == 0, "reassigned a used serial number"
        serial.namafile, serial.nodoc = namafile, nodoc
        self._after("update-data")

    def stamp(self, order: StampOrder) -> str:
        self._before("docSigningZ")
        if self.rng.random() < self.faults.signing_retry:
            raise SigningRetry(provider_code="97", endpoint="docSigningZ")
        serial = self.issued[order.sn]
        if serial.stamp_count and not order.retry:
            raise AssertionError(f"{order.sn} stamped again without retryFlag")
        original = self.files[order.file_id]
        serial.stamp_count += 1
        serial.file_id = order.file_id
        mark = f"sn={order.sn} page={order.page} rect={order.rect}".encode()
        self.results[order.file_id] = original + STAMP_MARK + mark
        self._after("docSigningZ")
        return self.result_url(order.file_id)

    def download(self, url: str, sink: Sink, progress: Progress) -> None:
        self._before("getfile")
        file_id = url.removeprefix(SIM_RESULTS)
        data = self.results[file_id]
        half = len(data) // 2
        sink.write(data[:half])
        progress(half, len(data))
        if self.rng.random() < self.faults.lost_after_commit:
            raise ServiceUnreachable(detail="read", endpoint="getfile", maybe_committed=True)
        if self.rng.random() < self.faults.malformed:
            return  # a body cut short that still framed correctly: the verifier must notice
        sink.write(data[half:])
        progress(len(data), len(data))

    def serials(self) -> list[SerialInfo]:
        self._before("sn-list")
        return [
            SerialInfo(
                s.sn,
                s.stamp_count > 0,
                s.namafile,
                s.nodoc,
                self.result_url(s.file_id) if s.stamp_count else "",
            )
            for s in self.issued.values()
        ]

    def serial_status(self, sn: str) -> SerialInfo | None:
        self._before("sn-status")
        s = self.issued.get(sn)
        if s is None:
            return None
        url = self.result_url(s.file_id) if s.stamp_count else ""
        return SerialInfo(s.sn, s.stamp_count > 0, s.namafile, s.nodoc, url)

    def result_url(self, file_id: str) -> str:
        return f"{SIM_RESULTS}{file_id}"


def sim_verifier(row: RequestRow, stamped: Path, original: Path) -> Verdict:
    data, queued = stamped.read_bytes(), original.read_bytes()
    if STAMP_MARK not in data or not data.endswith(b")"):
        raise VerificationError(detail=f"{stamped.name}: EOF marker not found")
    if not data.startswith(queued):
        return Verdict(False, "The queued bytes are not a prefix.")
    mark = data[len(queued) :]
    expected = f"sn={row.sn} page={row.page_index + 1} rect={row.rect}".encode()
    if mark != STAMP_MARK + expected:
        return Verdict(False, f"Wrong stamp {mark!r}.")
    return Verdict(True, "ok")


@dataclass
class SimResult:
    seed: int
    requests: int = 0
    steps: int = 0
    crashes: int = 0
    restores: int = 0
    bought: int = 0
    done: int = 0
    violations: list[str] = field(default_factory=list)


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def run_seed(
    seed: int,
    *,
    requests: int = 50,
    faults: Faults | None = None,
    restores: bool = True,
    max_steps: int = 20_000,
) -> SimResult:
    """One full run: add, drive with faults and crashes, then drain calmly and check."""
    rng = random.Random(seed)
    faults = faults or Faults()
    result = SimResult(seed)
    clock = _Clock()
    provider = SimProvider(random.Random(seed ^ 0x5EED), faults)
    with tempfile.TemporaryDirectory(prefix="meterai-sim-", dir=_fast_tmp()) as tmp:
        sim = _Sim(Path(tmp), rng, clock, provider, result)
        try:
            sim.run(requests, faults, restores, max_steps)
            sim.check()
        finally:
            sim.outbox.close()  # a server connection must not be left to the collector
    return result


def _fast_tmp() -> str | None:
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() else None


class _Sim:
    def __init__(
        self,
        root: Path,
        rng: random.Random,
        clock: _Clock,
        provider: SimProvider,
        result: SimResult,
    ) -> None:
        self.paths = resolve_paths(root)
        self.rng = rng
        self.clock = clock
        self.provider = provider
        self.result = result
        self.outbox = Outbox.open(self.paths, clock=clock)
        self.backup: Path | None = None
        self.crash_rate = 0.0
        self.session = Session()

    def engine(self) -> Engine:
        return Engine(
            outbox=self.outbox,
            provider=self.provider,
            docs_dir=self.paths.docs_dir,
            stamped_dir=self.paths.stamped_dir,
            verifier=sim_verifier,
            clock=self.clock,
            rng=self.rng,
            config=EngineConfig(max_failures=8, backoff=Backoff(1, 300), reconcile_grace=10),
            point=self._point,
            default_out_dir=self.paths.data_dir / "out",
            session=self.session,
        )

    def _point(self, name: str) -> None:
        if self.rng.random() < self.crash_rate:
            raise StepCrash(name)

    def add(self) -> None:
        body = f"%PDF-1.7\n% sim document {self.rng.random()}\n".encode()
        sha = hashlib.sha256(body).hexdigest()
        self.paths.docs_dir.mkdir(parents=True, exist_ok=True)
        (self.paths.docs_dir / f"{sha}.pdf").write_bytes(body)
        self.outbox.add_document(
            sha, size=len(body), page_count=1, pdf_version="1.7", original_name="d.pdf"
        )
        self.outbox.enqueue(
            NewRequest(
                doc_sha256=sha,
                file_name=f"d{self.result.requests}.pdf",
                doc_type="3",
                page_index=0,
                rect=(400, 40, 472, 112),
            )
        )
        self.result.requests += 1

    def restart(self) -> None:
        self.outbox.close()
        self.outbox = Outbox.open(self.paths, clock=self.clock)
        self.session = Session()
        self._reconcile()

    def _reconcile(self) -> None:
        with contextlib.suppress(StepCrash, ServiceUnreachable, ServiceBusy, MalformedResponse):
            self.engine().reconcile()

    def take_backup(self) -> None:
        self.backup = self.paths.data_dir / "backup.sqlite3"
        copy_checked(self.paths.database, self.backup)

    def restore_backup(self) -> None:
        if self.backup is None:
            return
        self.outbox.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.paths.database}{suffix}").unlink(missing_ok=True)
        shutil.copy(self.backup, self.paths.database)
        self.result.restores += 1
        self.restart()

    def step_some(self) -> None:
        due = self.outbox.due(self.clock.now, limit=8)
        if not due:
            nxt = self.outbox.next_due_at()
            self.clock.now = max(self.clock.now + 1, nxt or self.clock.now + 60)
            return
        row = self.rng.choice(due)
        self.result.steps += 1
        try:
            self.engine().step(row.id)
        except StepCrash:
            self.result.crashes += 1
            self.restart()
        self.clock.now += self.rng.uniform(0, 2)

    def retry_attention(self) -> None:
        for row in self.outbox.requests(states=[State.NEEDS_ATTENTION]):
            self.outbox.retry(row.id, detail="user pressed retry")

    def run(self, requests: int, faults: Faults, restores: bool, max_steps: int) -> None:
        self.crash_rate = faults.crash
        for _ in range(requests):
            self.add()
            if restores and self.backup is None and self.rng.random() < 0.2:
                self.take_backup()
        for i in range(max_steps // 2):
            if not self.outbox.due(float("inf"), limit=1):
                break
            self.step_some()
            if i % 50 == 0:
                self.provider.faults.offline = self.rng.random() < 0.1
                self.retry_attention()
            if restores and self.rng.random() < 0.002:
                self.restore_backup()
        self.provider.faults = Faults.none()
        self.crash_rate = 0.0
        self._reconcile()
        for _ in range(max_steps):
            self.retry_attention()
            if not self.outbox.due(float("inf"), limit=1):
                break
            self.step_some()

    def check(self) -> None:
        v = self.result.violations
        rows = self.outbox.requests()
        self.result.done = sum(r.state == State.DONE for r in rows)
        self.result.bought = len(self.provider.issued)
        for r in rows:
            if r.state != State.DONE:
                v.append(f"request {r.id} ended {r.state}: {r.last_error}")
        held = Counter(r.sn for r in rows if r.sn)
        v += [f"{sn} held by {n} requests" for sn, n in held.items() if n > 1]
        per_tag = Counter(s.namafile.split("_")[0] for s in self.provider.issued.values())
        orphans = set(self.outbox.orphans())
        for s in self.provider.issued.values():
            if s.stamp_count > 1:
                v.append(f"{s.sn} stamped {s.stamp_count} times")
            if s.stamp_count == 0 and s.sn not in orphans:
                v.append(f"{s.sn} bought, never stamped, and not kept as an orphan")
        if not self.result.restores:
            v += [f"tag {t} bought {n} serial numbers" for t, n in per_tag.items() if n > 1]
            if self.result.bought != self.result.requests:
                v.append(f"bought {self.result.bought} for {self.result.requests} requests")
