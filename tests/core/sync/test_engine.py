"""The engine's decisions, one step at a time, against a scripted in-memory provider.

Apart from the seeded simulation (``test_simulation.py``, random faults over many
requests), each test here scripts one failure at one call and checks the one decision
the engine must take: adopt, never buy twice; stamp again only with the retry flag; a
bug is one request's failure. The outbox is a real SQLite file; the provider is the
smallest thing that implements ``meterai.provider.ports.Provider``.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from meterai.errors import BalanceExhausted
from meterai.outbox.states import State
from meterai.outbox.store import NewRequest, Outbox, RequestRow, purchase_tag
from meterai.provider.errors import (
    ResultTooLarge,
    ServiceUnreachable,
    SigningRetry,
    StampingRejected,
)
from meterai.provider.ports import Progress, SerialInfo, SerialOrder, Sink, StampOrder
from meterai.settings import Paths, resolve_paths
from meterai.sync.backoff import Backoff
from meterai.sync.engine import Engine, EngineConfig, StepCrash, Verdict
from tests.support.clock import ManualClock

MARK = b"\n%stamped "
RESULTS = "fake-result/"
LAST_STATE = 7  # queued -> ... -> done in seven steps (buying moves through numbering)


@dataclass
class Serial:
    order: SerialOrder
    stamped_from: str | None = None


@dataclass
class FakeProvider:
    """Does what the protocol says, in memory, and counts every call.

    ``lose[name]`` is a list of errors for the next calls of ``name``, each raised after
    the provider did the work (an answer lost on the way back); ``refuse[name]`` raises
    before any work is done.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    issued: dict[str, Serial] = field(default_factory=dict)
    results: dict[str, bytes] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    stamp_orders: list[StampOrder] = field(default_factory=list)
    lose: dict[str, list[Exception]] = field(default_factory=lambda: defaultdict(list))
    refuse: dict[str, list[Exception]] = field(default_factory=lambda: defaultdict(list))
    named: list[str | None] = field(default_factory=list)
    """What the next purchase answers name instead of the serial number sold; ``None``:
    the answer names a number and nothing is sold at all."""

    def _enter(self, name: str) -> None:
        self.calls[name] += 1
        if self.refuse[name]:
            raise self.refuse[name].pop(0)

    def _leave(self, name: str) -> None:
        if self.lose[name]:
            raise self.lose[name].pop(0)

    def upload(self, path: Path, progress: Progress) -> str:
        self._enter("upload")
        file_id = f"F{len(self.files) + 1}"
        self.files[file_id] = path.read_bytes()
        progress(len(self.files[file_id]), len(self.files[file_id]))
        return file_id

    def buy_serial(self, order: SerialOrder) -> str:
        self._enter("buy_serial")
        sn = f"SN{len(self.issued) + 1:04d}"
        lie = self.named.pop(0) if self.named else ""
        if lie is None:
            return "MADE-UP-AND-UNSOLD"
        self.issued[sn] = Serial(order)
        self._leave("buy_serial")
        return lie or sn

    def reassign_serial(self, sn: str, *, nodoc: str, doc_type: str, namafile: str) -> None:
        self._enter("reassign_serial")
        old = self.issued[sn].order
        self.issued[sn] = Serial(SerialOrder(old.file_id, doc_type, namafile, nodoc, "", 0))

    def stamp(self, order: StampOrder) -> str:
        self.stamp_orders.append(order)
        self._enter("stamp")
        if order.sn not in self.issued:
            raise StampingRejected(provider_code="90", endpoint="docSigningZ")
        self.issued[order.sn].stamped_from = order.file_id
        self.results[order.file_id] = self.files[order.file_id] + MARK + order.sn.encode()
        self._leave("stamp")
        return self.result_url(order.file_id)

    def download(self, url: str, sink: Sink, progress: Progress) -> None:
        self._enter("download")
        data = self.results[url.removeprefix(RESULTS)]
        sink.write(data)
        progress(len(data), len(data))

    def serials(self) -> list[SerialInfo]:
        self._enter("serials")
        return [self._info(sn) for sn in self.issued]

    def serial_status(self, sn: str) -> SerialInfo | None:
        self._enter("serial_status")
        return self._info(sn) if sn in self.issued else None

    def result_url(self, file_id: str) -> str:
        return f"{RESULTS}{file_id}"

    def _info(self, sn: str) -> SerialInfo:
        serial = self.issued[sn]
        stamped = serial.stamped_from is not None
        url = self.result_url(serial.stamped_from or "") if stamped else ""
        return SerialInfo(sn, stamped, serial.order.namafile, serial.order.nodoc, url)


def stamp_checked(row: RequestRow, stamped: Path, original: Path) -> Verdict:
    """The queued bytes, then the mark naming the request's own serial number."""
    expected = original.read_bytes() + MARK + (row.sn or "").encode()
    if stamped.read_bytes() == expected:
        return Verdict(True, "the stamp is the request's own")
    return Verdict(False, "The stamped file is not the queued document plus its stamp.")


@dataclass
class Bench:
    paths: Paths
    outbox: Outbox
    provider: FakeProvider
    clock: ManualClock

    def engine(self, **config: Any) -> Engine:
        return Engine(
            outbox=self.outbox,
            provider=self.provider,
            docs_dir=self.paths.docs_dir,
            stamped_dir=self.paths.stamped_dir,
            verifier=stamp_checked,
            clock=self.clock,
            rng=random.Random(1),
            config=EngineConfig(backoff=Backoff(1, 60), **config),
            default_out_dir=self.paths.data_dir / "out",
        )

    def queue(self, name: str = "a.pdf") -> int:
        body = f"%PDF-1.7\n% {name}\n%%EOF\n".encode()
        sha = hashlib.sha256(body).hexdigest()
        self.paths.docs_dir.mkdir(parents=True, exist_ok=True)
        (self.paths.docs_dir / f"{sha}.pdf").write_bytes(body)
        self.outbox.add_document(
            sha, size=len(body), page_count=1, pdf_version="1.7", original_name=name
        )
        request = NewRequest(sha, name, doc_type="3", page_index=0, rect=(400, 40, 472, 112))
        return self.outbox.enqueue(request).id

    def moves(self, request_id: int) -> list[str]:
        """The states the journal records a request entering (notes stay in their state)."""
        journal = self.outbox.journal(request_id)
        return [e.to_state for e in journal if e.from_state != e.to_state]


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    paths = resolve_paths(tmp_path / "data")
    clock = ManualClock(1_000_000.0)
    outbox = Outbox.open(paths, clock=clock)
    yield Bench(paths, outbox, FakeProvider(), clock)
    outbox.close()


def drive(engine: Engine, request_id: int, budget: int = LAST_STATE) -> State:
    """Step until a resting state or the budget runs out (a loop is a failure, not a hang)."""
    state = engine.outbox.get(request_id).state
    for _ in range(budget):
        if state in (State.DONE, State.NEEDS_ATTENTION):
            break
        state = engine.step(request_id)
    return state


def test_a_request_walks_every_state_once_and_buys_once(bench: Bench) -> None:
    request_id = bench.queue()
    assert drive(bench.engine(), request_id) == State.DONE
    assert bench.moves(request_id) == [
        "queued",
        "uploaded",
        "numbering",
        "numbered",
        "stamped",
        "downloaded",
        "verified",
        "done",
    ]
    row = bench.outbox.get(request_id)
    assert bench.provider.calls["buy_serial"] == 1
    assert Path(row.output_path or "").read_bytes().endswith(MARK + b"SN0001")
    assert bench.provider.stamp_orders[0].retry is False


def test_an_answer_lost_after_the_purchase_is_adopted_not_bought_again(bench: Bench) -> None:
    bench.provider.lose["buy_serial"].append(
        ServiceUnreachable(detail="read", endpoint="stampv2", maybe_committed=True)
    )
    request_id = bench.queue()
    engine = bench.engine()
    engine.step(request_id)  # upload
    assert engine.step(request_id) == State.NUMBERING  # bought, but the answer was lost
    assert engine.step(request_id) == State.NUMBERED  # the provider's list says who owns it
    assert bench.outbox.get(request_id).sn == "SN0001"
    assert drive(engine, request_id) == State.DONE
    assert bench.provider.calls["buy_serial"] == 1


def test_a_purchase_that_never_happened_is_made_after_the_grace_only(bench: Bench) -> None:
    bench.provider.refuse["buy_serial"].append(
        ServiceUnreachable(detail="connect", endpoint="stampv2", maybe_committed=False)
    )
    request_id = bench.queue()
    engine = bench.engine(reconcile_grace=10.0)
    engine.step(request_id)
    assert engine.step(request_id) == State.NUMBERING
    assert engine.step(request_id) == State.NUMBERING  # too early to say nothing was bought
    assert bench.provider.calls["buy_serial"] == 1
    bench.clock.advance(11)
    assert engine.step(request_id) == State.UPLOADED  # the list has nothing: safe to buy
    assert drive(engine, request_id) == State.DONE
    assert bench.provider.calls["buy_serial"] == 2
    assert len(bench.provider.issued) == 1


def test_a_purchase_answer_naming_an_unknown_serial_adopts_the_one_sold(bench: Bench) -> None:
    """The paid call's answer names a number the provider does not know: stamping with it
    is refused, and the provider's list (by the request's tag) gives the one really sold,
    instead of the request waiting for a person with the made-up number."""
    bench.provider.named.append("MADE-UP-0001")
    request_id = bench.queue()
    assert drive(bench.engine(), request_id, budget=LAST_STATE + 3) == State.DONE
    row = bench.outbox.get(request_id)
    assert row.sn == "SN0001"
    assert bench.provider.calls["buy_serial"] == 1
    assert bench.outbox.serial_origin("MADE-UP-0001") is None
    assert bench.moves(request_id)[3:6] == ["numbered", "numbering", "numbered"]


def test_an_unknown_serial_with_nothing_sold_is_bought_after_the_grace(bench: Bench) -> None:
    bench.provider.named.append(None)
    request_id = bench.queue()
    engine = bench.engine(reconcile_grace=10.0)
    for _ in range(3):
        engine.step(request_id)  # upload, buy (a made-up answer), a refused stamp
    assert engine.step(request_id) == State.NUMBERING  # the list has nothing yet: wait
    bench.clock.advance(11)
    assert drive(engine, request_id, budget=LAST_STATE + 2) == State.DONE
    assert bench.provider.calls["buy_serial"] == 2
    assert list(bench.provider.issued) == ["SN0001"]


def test_a_refused_stamp_of_a_known_serial_keeps_it_for_a_person(bench: Bench) -> None:
    bench.provider.refuse["stamp"].append(StampingRejected(provider_code="80", endpoint="x"))
    request_id = bench.queue()
    assert drive(bench.engine(), request_id) == State.NEEDS_ATTENTION
    assert bench.outbox.get(request_id).sn == "SN0001"
    assert bench.provider.calls["buy_serial"] == 1


def test_a_second_stamping_call_carries_the_retry_flag(bench: Bench) -> None:
    bench.provider.refuse["stamp"].append(SigningRetry(provider_code="97", endpoint="docSigningZ"))
    request_id = bench.queue()
    assert drive(bench.engine(), request_id, budget=LAST_STATE + 1) == State.DONE
    assert [order.retry for order in bench.provider.stamp_orders] == [False, True]
    assert bench.provider.calls["buy_serial"] == 1


def test_a_stamp_the_provider_already_made_is_not_made_again(bench: Bench) -> None:
    bench.provider.lose["stamp"].append(
        ServiceUnreachable(detail="read", endpoint="docSigningZ", maybe_committed=True)
    )
    request_id = bench.queue()
    assert drive(bench.engine(), request_id, budget=LAST_STATE + 1) == State.DONE
    assert len(bench.provider.stamp_orders) == 1
    assert "the provider already stamped it" in [
        entry.detail for entry in bench.outbox.journal(request_id)
    ]


def test_a_stamping_call_whose_answer_was_lost_is_not_repeated_within_the_settle(
    bench: Bench,
) -> None:
    """The provider may still be signing a call whose answer never came (flakes lane,
    item a): its status says NOTSTAMP meanwhile, so the next try waits the settle."""
    bench.provider.refuse["stamp"].append(
        ServiceUnreachable(detail="read", endpoint="docSigningZ", maybe_committed=True)
    )
    request_id = bench.queue()
    engine = bench.engine(stamp_settle=30.0)
    for _ in range(3):  # upload, buy, the stamping call whose answer is lost
        engine.step(request_id)
    row = bench.outbox.get(request_id)
    assert (row.state, row.stamp_tries) == (State.NUMBERED, 1)
    assert (row.next_attempt_at or 0) >= bench.clock() + 30


def test_a_stamping_call_a_crash_cut_off_is_asked_about_again_before_a_repeat(
    bench: Bench,
) -> None:
    """The process died while its stamping call was out (flakes lane, item a): a restart
    within the settle waits, and the stamp that call made meanwhile is taken, not made
    again."""
    request_id = bench.queue()

    def crash(point: str) -> None:
        if point == "stamp:before_call":
            raise StepCrash(point)

    crashing = bench.engine()
    crashing.point = crash
    with pytest.raises(StepCrash):
        drive(crashing, request_id)
    restarted = bench.engine(stamp_settle=30.0)
    assert restarted.step(request_id) == State.NUMBERED  # the provider may still be signing
    assert bench.provider.stamp_orders == []
    row = bench.outbox.get(request_id)
    out = StampOrder(row.provider_file_id or "", row.sn or "", 1, row.rect, False, "", "")
    bench.provider.stamp(out)  # the call that was out is done signing
    bench.clock.advance(31)
    assert drive(restarted, request_id) == State.DONE
    assert len(bench.provider.stamp_orders) == 1
    assert "the provider already stamped it" in [
        entry.detail for entry in bench.outbox.journal(request_id)
    ]


def test_a_request_that_moved_while_reconciling_is_asked_about_again_not_bought(
    bench: Bench,
) -> None:
    """Escaped bug (seen once in the whole suite under load): an outbox restored from
    before a stamp uploaded its request while the start-up reconciliation ran; adopting
    the stamped serial number lost that race, the run still counted as reconciled, and
    the request bought a second serial number."""
    request_id = bench.queue()
    row = bench.outbox.get(request_id)
    bought = SerialOrder("F9", "3", namafile=f"{row.numbering_tag}_a.pdf", nodoc="", tgldoc="",
                         nilaidoc=0)  # fmt: skip
    bench.provider.files["F9"] = b"%PDF-1.7\n"
    bench.provider.results["F9"] = b"%PDF-1.7\n" + MARK + b"SN0001"
    bench.provider.issued["SN0001"] = Serial(bought, stamped_from="F9")
    engine = bench.engine()
    snapshot = bench.outbox.serial_snapshot

    def snapshot_then_upload(states: Any) -> Any:
        taken = snapshot(states)
        bench.outbox.transition(request_id, State.UPLOADED, provider_file_id="F10")
        return taken

    bench.outbox.serial_snapshot = snapshot_then_upload  # type: ignore[method-assign]
    engine.reconcile()
    bench.outbox.serial_snapshot = snapshot  # type: ignore[method-assign]

    engine.step(request_id)
    assert bench.provider.calls["buy_serial"] == 0
    assert bench.outbox.get(request_id).sn == "SN0001"


def test_a_restored_request_uploaded_under_the_reconciliation_is_adopted_in_that_pass(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Escaped bug (test_restore.py's "4 serial numbers instead of 2" under load): a
    restored older outbox forgot a purchase the provider's list still shows, and
    another worker uploads the queued request between the reconciliation's snapshot
    and its adoption. The serial number is adopted from where the request is now, in
    the same pass: nothing is bought again, and no second list is asked for."""
    request_id = bench.queue()
    tag = bench.outbox.get(request_id).numbering_tag
    bought = bench.provider.buy_serial(
        SerialOrder("F0", "3", f"{tag}_a.pdf", str(tag), "2026-11-24", 10000)
    )
    engine = bench.engine()
    snapshot = bench.outbox.serial_snapshot
    uploader = bench.engine()  # another worker's step, between the snapshot and the adopt

    def snapshot_then_upload(states: Any) -> Any:
        taken = snapshot(states)
        if bench.outbox.get(request_id).state == State.QUEUED:
            assert uploader.step(request_id) == State.UPLOADED
        return taken

    monkeypatch.setattr(bench.outbox, "serial_snapshot", snapshot_then_upload)
    assert engine.reconcile().adopted == [bought]
    assert engine.session.reconciled
    assert drive(engine, request_id) == State.DONE
    assert bench.provider.calls["buy_serial"] == 1  # the one before the restore
    assert bench.provider.calls["serials"] == 1
    assert bench.outbox.get(request_id).sn == bought


def test_no_balance_asks_the_user_at_once(bench: Bench) -> None:
    bench.provider.refuse["buy_serial"].append(BalanceExhausted(endpoint="stampv2"))
    request_id = bench.queue()
    assert drive(bench.engine(), request_id) == State.NEEDS_ATTENTION
    row = bench.outbox.get(request_id)
    assert row.attempts == 0 and row.sn is None
    assert "no stamps left" in (row.last_error or "")


def test_a_transient_failure_waits_its_backoff_and_counts_an_attempt(bench: Bench) -> None:
    bench.provider.refuse["upload"].append(
        ServiceUnreachable(detail="connect", endpoint="upload", maybe_committed=False)
    )
    request_id = bench.queue()
    assert bench.engine().step(request_id) == State.QUEUED
    row = bench.outbox.get(request_id)
    assert row.attempts == 1
    assert row.next_attempt_at is not None and row.next_attempt_at > bench.clock()


def test_a_bug_in_one_request_does_not_stop_the_next(bench: Bench) -> None:
    bench.provider.refuse["upload"].append(KeyError("a bug in the adapter"))
    broken, healthy = bench.queue("broken.pdf"), bench.queue("healthy.pdf")
    engine = bench.engine()
    assert engine.step(broken) == State.QUEUED
    assert "KeyError" in (bench.outbox.get(broken).last_error or "")
    assert drive(engine, healthy) == State.DONE


def test_an_orphan_is_used_before_anything_is_bought(bench: Bench) -> None:
    """A serial number this install bought that no request owns (the outbox is an older
    copy that forgot the purchase) goes to the next request, renamed for it."""
    tag = purchase_tag(bench.outbox.install_id())
    lost = SerialOrder("F0", "3", namafile=f"{tag}_old.pdf", nodoc=tag, tgldoc="", nilaidoc=0)
    bench.provider.issued["SN0001"] = Serial(lost)
    request_id = bench.queue("new.pdf")
    assert drive(bench.engine(), request_id) == State.DONE
    assert bench.provider.calls["buy_serial"] == 0
    assert bench.provider.calls["reassign_serial"] == 1
    assert bench.outbox.get(request_id).sn == "SN0001"
    assert bench.provider.issued["SN0001"].order.namafile.endswith("_new.pdf")


def test_a_result_larger_than_the_margin_is_cut_off(bench: Bench) -> None:
    request_id = bench.queue()
    engine = bench.engine(result_margin=4)
    assert drive(engine, request_id, budget=3) == State.STAMPED
    assert engine.step(request_id) == State.STAMPED
    row = bench.outbox.get(request_id)
    assert row.attempts == 1 and ResultTooLarge.template.split("{")[0] in (row.last_error or "")


def test_a_result_that_is_not_the_requests_own_stamp_needs_attention(bench: Bench) -> None:
    request_id = bench.queue()
    engine = bench.engine()
    assert drive(engine, request_id, budget=3) == State.STAMPED
    bench.provider.results["F1"] = b"%PDF-1.7\n% someone else's document\n"
    assert drive(engine, request_id) == State.NEEDS_ATTENTION
    assert "failed verification" in (bench.outbox.get(request_id).last_error or "")
