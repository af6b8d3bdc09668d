"""How many round trips a counter's moves cost on the shared database (issue 17's bench).

At three counters the drain is CPU-bound, and every round trip is client and server CPU
and, inside a transaction, one more wait for the GIL while the row stays locked. The
counts are read from libpq's own protocol trace (a round trip is the client sending,
then reading what the server answered; in pipeline mode several statements go out
before one read), so they say what crossed the wire, not what the code meant to send.
"""

from __future__ import annotations

import itertools
import os
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from meterai.outbox import NewRequest, Outbox, State
from meterai.outbox.postgres.address import ENV_VAR
from meterai.outbox.postgres.shared import SharedOutbox
from meterai.provider.ports import Provider
from meterai.settings import resolve_paths
from meterai.sync.engine import Engine, Verifier

SHA = "ab" * 32
RECT = (400.0, 40.0, 472.0, 112.0)


@pytest.fixture
def shared(pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Outbox]:
    monkeypatch.setenv(ENV_VAR, pg_url)
    paths = resolve_paths(tmp_path / "loket-1")
    paths.docs_dir.mkdir(parents=True)
    (paths.docs_dir / f"{SHA}.pdf").write_bytes(b"%PDF-1.7\n%%EOF\n")
    box = Outbox.open(paths)
    assert isinstance(box, SharedOutbox)
    box.add_document(SHA, size=15, page_count=1, pdf_version="1.7", original_name="a.pdf")
    yield box
    box.close()


def round_trips(box: Outbox, action: object) -> int:
    """Run ``action()`` and count the times the client turned from sending to reading."""
    pgconn = box.backend.conn.pgconn  # type: ignore[attr-defined]
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        try:
            action()  # type: ignore[operator]
        finally:
            pgconn.untrace()
        trace.seek(0)
        fields = (line.split("\t") for line in trace)  # a statement's own lines: no side
        sides = [f[1] for f in fields if len(f) > 1 and f[1] in ("F", "B")]
        return sum(1 for sent, then in itertools.pairwise(sides) if (sent, then) == ("F", "B"))


def claimed(box: Outbox) -> int:
    new = NewRequest(doc_sha256=SHA, file_name="a.pdf", doc_type="3", page_index=0, rect=RECT)
    request_id = box.enqueue(new).id
    assert [r.id for r in box.due(states=[State.QUEUED])] == [request_id]
    return request_id


def test_a_move_of_a_claimed_request_is_three_round_trips(shared: Outbox) -> None:
    """BEGIN, the shared write lock and the fenced read (lock, claim check, lease
    renewal) go out together; then the change with its row returned; then the journal
    row with COMMIT. It was six (each statement apart), and about 13 before that (a
    savepoint pair, the fence and the read apart, a second read, the owner's, NOTIFY)."""
    request_id = claimed(shared)
    trips = round_trips(
        shared, lambda: shared.transition(request_id, State.UPLOADED, provider_file_id="F1")
    )
    assert trips == 3
    assert shared.get(request_id).provider_file_id == "F1"
    assert shared.holds(request_id)


def test_finishing_a_request_releases_it_in_the_same_transaction(shared: Outbox) -> None:
    """Release and its NOTIFY (for a state another counter may carry on from) are one
    statement inside the move's transaction, sent with its COMMIT; done wakes nobody."""
    request_id = claimed(shared)
    moves = [State.UPLOADED, State.NEEDS_ATTENTION]
    for to in moves[:-1]:
        shared.transition(request_id, to)
    assert round_trips(shared, lambda: shared.transition(request_id, moves[-1])) == 3
    assert not shared.holds(request_id)


def test_a_purchase_is_recorded_in_four_round_trips(shared: Outbox) -> None:
    """The serial number and the move to numbered, one transaction with a savepoint for
    each (``Engine._record_bought``): the savepoints go out with the statements around
    them. psycopg's own nested transactions waited before and after each: 11."""
    request_id = claimed(shared)
    shared.transition(request_id, State.UPLOADED, provider_file_id="F1")
    shared.transition(request_id, State.NUMBERING)

    def record() -> None:
        with shared.atomic(one_request=True):
            shared.record_serial("SN-PURCHASE-1", request_id=request_id, tag="t", source="bought")
            shared.transition(request_id, State.NUMBERED, sn="SN-PURCHASE-1")

    assert round_trips(shared, record) == 4
    assert shared.get(request_id).sn == "SN-PURCHASE-1"
    assert shared.serial_holder("SN-PURCHASE-1") == request_id


def _outbox_only_engine(shared: Outbox) -> Engine:
    """An engine for steps that need nothing but the outbox (a cancelled request's)."""
    return Engine(
        outbox=shared,
        provider=cast(Provider, None),
        docs_dir=Path(os.devnull),
        stamped_dir=Path(os.devnull),
        verifier=cast(Verifier, None),
        clock=lambda: 0.0,
        rng=random.Random(0),
    )


def test_the_runner_reads_a_request_twice_per_step(shared: Outbox) -> None:
    """``Engine.advance`` returns the row it read before the step, the row after it and
    whether the counter still holds it: one read each side, where the runner and the
    engine read it five times between them."""
    request_id = claimed(shared)
    # A cancelled request has no step: nothing but the outbox is used.
    engine = _outbox_only_engine(shared)
    shared.transition(request_id, State.CANCELLED)
    trips = round_trips(shared, lambda: engine.advance(request_id))
    assert trips == 2


def test_a_step_that_starts_from_the_last_steps_row_reads_it_once(shared: Outbox) -> None:
    """The runner keeps stepping a request it holds: each step starts from the row the
    previous one read after its commit (``advance(..., known)``), not from a read of its
    own. A step's moves still check, under the row's lock, the state it started from."""
    request_id = claimed(shared)
    engine = _outbox_only_engine(shared)
    shared.transition(request_id, State.CANCELLED)
    first = engine.advance(request_id)
    trips = round_trips(shared, lambda: engine.advance(request_id, first.after))
    assert trips == 1
