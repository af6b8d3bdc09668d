"""The request verbs: each move one transaction with its journal row; retry; done since."""

from __future__ import annotations

import sqlite3

import pytest

from meterai.errors import IllegalTransition
from meterai.messages import Message
from meterai.outbox import NewRequest, Outbox, State
from meterai.outbox.store import NotCancellable
from meterai.settings import Paths

SHA = "ab" * 32


def _new(**overrides: object) -> NewRequest:
    base: dict[str, object] = dict(
        doc_sha256=SHA, file_name="cv.pdf", doc_type="3", page_index=0, rect=(400, 40, 472, 112)
    )
    base.update(overrides)
    return NewRequest(**base)  # type: ignore[arg-type]


@pytest.fixture
def outbox(paths: Paths) -> Outbox:
    box = Outbox.open(paths)
    box.add_document(SHA, size=10, page_count=1, pdf_version="1.7", original_name="cv.pdf")
    return box


def test_transition_updates_and_journals_in_one_go(outbox: Outbox) -> None:
    row = outbox.enqueue(_new())
    row = outbox.transition(row.id, State.UPLOADED, provider_file_id="f-1", detail="up")
    assert (row.state, row.provider_file_id) == (State.UPLOADED, "f-1")
    moves = [(j.from_state, j.to_state, j.detail) for j in outbox.journal(row.id)]
    assert moves == [(None, "queued", None), ("queued", "uploaded", "up")]


def test_illegal_move_is_rejected_and_changes_nothing(outbox: Outbox) -> None:
    row = outbox.enqueue(_new())
    with pytest.raises(IllegalTransition):
        outbox.transition(row.id, State.DONE)
    assert outbox.get(row.id).state == State.QUEUED
    assert len(outbox.journal(row.id)) == 1


def test_stale_expectation_is_rejected(outbox: Outbox) -> None:
    row = outbox.enqueue(_new())
    outbox.transition(row.id, State.UPLOADED)
    with pytest.raises(IllegalTransition):
        outbox.transition(row.id, State.NUMBERING, expect=State.QUEUED)


def test_queued_request_is_immutable(outbox: Outbox) -> None:
    row = outbox.enqueue(_new())
    with pytest.raises(ValueError):
        outbox.transition(row.id, State.UPLOADED, doc_type="2")
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        outbox.backend.conn.execute("UPDATE requests SET rect_x1 = 0 WHERE id = ?", [row.id])


def test_cancel_only_before_numbered(outbox: Outbox) -> None:
    early = outbox.enqueue(_new())
    assert outbox.cancel(early.id).state == State.CANCELLED
    late = outbox.enqueue(_new())
    outbox.transition(late.id, State.UPLOADED)
    outbox.transition(late.id, State.NUMBERING, numbering_tag="t-1")
    with pytest.raises(NotCancellable):
        outbox.cancel(late.id)
    outbox.transition(late.id, State.NEEDS_ATTENTION)
    with pytest.raises(NotCancellable):
        outbox.cancel(late.id)


def test_due_orders_by_next_attempt(outbox: Outbox) -> None:
    a = outbox.enqueue(_new())
    b = outbox.enqueue(_new())
    c = outbox.enqueue(_new())
    outbox.record_failure(a.id, Message("timeout"), next_attempt_at=50.0)
    outbox.record_failure(b.id, Message("timeout"), next_attempt_at=10.0)
    outbox.record_failure(c.id, Message("timeout"), next_attempt_at=500.0)
    assert [r.id for r in outbox.due(now=100.0)] == [b.id, a.id]
    assert outbox.get(b.id).attempts == 1


def test_retry_sends_a_request_again_keeping_its_serial_number(outbox: Outbox) -> None:
    row = outbox.enqueue(_new())
    outbox.transition(row.id, State.UPLOADED, provider_file_id="f-1")
    outbox.transition(row.id, State.NUMBERING)
    outbox.transition(row.id, State.NUMBERED, sn="SN0000000000000000001")
    outbox.record_failure(row.id, Message("timeout"), next_attempt_at=50.0)
    outbox.note(row.id, "waiting", waiting_reason="Waiting for the provider")
    outbox.transition(row.id, State.NEEDS_ATTENTION, detail="refused")

    again = outbox.retry(row.id)

    assert (again.state, again.sn, again.attempts, again.next_attempt_at) == (
        State.QUEUED,
        "SN0000000000000000001",
        0,
        None,
    )
    assert (again.last_error, again.last_error_msg, again.waiting_reason) == (None, None, None)
    assert outbox.journal(row.id)[-1].detail == "retried by the user"
    assert outbox.get(row.id) == again


def test_retry_refuses_a_request_that_needs_no_attention(outbox: Outbox) -> None:
    row = outbox.enqueue(_new())
    with pytest.raises(IllegalTransition):
        outbox.retry(row.id)
    assert len(outbox.journal(row.id)) == 1


def test_done_since_counts_requests_finished_from_then_on(paths: Paths) -> None:
    now = [0.0]
    box = Outbox.open(paths, clock=lambda: now[0])
    box.add_document(SHA, size=10, page_count=1, pdf_version="1.7", original_name="cv.pdf")
    for at in (1000.0, 2000.0, 3000.0):
        row = box.enqueue(_new(file_name=f"{at}.pdf"))
        box.transition(row.id, State.UPLOADED)
        box.transition(row.id, State.NUMBERING)
        box.transition(row.id, State.NUMBERED, sn=f"SN{at:020.0f}")
        for state in (State.STAMPED, State.DOWNLOADED, State.VERIFIED):
            box.transition(row.id, state)
        now[0] = at
        box.transition(row.id, State.DONE)
    box.enqueue(_new(file_name="waiting.pdf"))
    assert [box.done_since(t) for t in (0.0, 2000.0, 2000.5, 3000.5)] == [3, 2, 1, 0]
    box.close()
