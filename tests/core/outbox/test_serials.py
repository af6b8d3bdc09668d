"""The outbox's verbs for a paid serial number: cancel it free, replace the document, find
a document by the bytes the user gave (issue 13)."""

from __future__ import annotations

import sqlite3

import pytest

from meterai.outbox import NewRequest, Outbox, State
from meterai.outbox.store import NotCancellable, NotReplaceable, Replacement, SerialUsed
from meterai.settings import Paths
from tests.support.legacy import outbox_at_version

SHA, NEW_SHA, ORIGINAL = "ab" * 32, "cd" * 32, "ef" * 32
SN = "A" * 22


@pytest.fixture
def outbox(paths: Paths) -> Outbox:
    box = Outbox.open(paths)
    for sha in (SHA, NEW_SHA):
        box.add_document(sha, size=10, page_count=1, pdf_version="1.7", original_name="cv.pdf")
    return box


def _holding_serial(box: Outbox, *, noidentitas: str | None = None, stamped: bool = False) -> int:
    """A request that bought ``SN`` and then needed a person: refused, or failed after stamping."""
    row = box.enqueue(
        NewRequest(
            doc_sha256=SHA,
            file_name="cv.pdf",
            doc_type="3",
            page_index=0,
            rect=(400, 40, 472, 112),
            noidentitas=noidentitas,
        )
    )
    box.transition(row.id, State.UPLOADED, provider_file_id="f-1")
    box.transition(row.id, State.NUMBERING)
    box.record_serial(SN, request_id=row.id, tag=row.numbering_tag, source="bought")
    box.transition(row.id, State.NUMBERED, sn=SN)
    if stamped:
        box.transition(row.id, State.STAMPED)
    box.transition(row.id, State.NEEDS_ATTENTION, detail="refused")
    return row.id


def _other(box: Outbox, **fields: object) -> int:
    new = NewRequest(
        doc_sha256=NEW_SHA, file_name="b.pdf", doc_type="3", page_index=0, rect=(1, 1, 60, 60)
    )
    return box.enqueue(NewRequest(**{**vars(new), **fields})).id  # type: ignore[arg-type]


def test_cancel_releases_an_unused_serial_number_in_the_same_transaction(outbox: Outbox) -> None:
    request_id = _holding_serial(outbox)
    row = outbox.cancel(request_id)
    assert (row.state, row.sn) == (State.CANCELLED, None)
    assert outbox.orphans() == [SN]
    assert SN in (outbox.journal(request_id)[-1].detail or "")
    taker = _other(outbox)
    assert outbox.claim_orphan(taker) == SN
    assert outbox.serial_needs_reassign(SN)


def test_a_stamped_serial_number_is_never_released(outbox: Outbox) -> None:
    request_id = _holding_serial(outbox, stamped=True)
    with pytest.raises(SerialUsed) as info:
        outbox.cancel(request_id)
    assert SN in info.value.user_message()
    assert (outbox.get(request_id).state, outbox.orphans()) == (State.NEEDS_ATTENTION, [])
    with pytest.raises(SerialUsed):
        outbox.check_replaceable(request_id)


def test_a_request_sent_again_releases_its_serial_number_when_cancelled(outbox: Outbox) -> None:
    """Found while testing: ``retry`` then ``cancel`` left the serial number held by a
    cancelled request, where no later request could ever claim it."""
    request_id = _holding_serial(outbox)
    outbox.transition(request_id, State.QUEUED, detail="retry requested by the user")
    assert outbox.cancel(request_id).sn is None
    assert outbox.orphans() == [SN]


@pytest.mark.parametrize("state", [State.UPLOADED, State.NUMBERED])
def test_a_request_whose_serial_number_may_be_in_use_is_not_cancellable(
    outbox: Outbox, state: State
) -> None:
    """From ``uploaded`` on the engine may be reassigning or stamping the number."""
    request_id = _holding_serial(outbox)
    outbox.transition(request_id, State.QUEUED)
    outbox.transition(request_id, State.UPLOADED)
    if state == State.NUMBERED:
        outbox.transition(request_id, State.NUMBERED)
    with pytest.raises(NotCancellable):
        outbox.cancel(request_id)
    assert (outbox.get(request_id).sn, outbox.orphans()) == (SN, [])


def test_a_reassign_finishing_after_a_release_leaves_the_orphan_to_be_moved(
    outbox: Outbox,
) -> None:
    request_id = _holding_serial(outbox)
    outbox.cancel(request_id)
    outbox.mark_reassigned(SN)  # the engine's call for the cancelled request returns late
    assert outbox.serial_needs_reassign(SN)


def test_a_released_serial_number_goes_only_to_a_request_naming_the_same_party(
    outbox: Outbox,
) -> None:
    """Reassigning cannot change whom the duty was levied on."""
    outbox.cancel(_holding_serial(outbox, noidentitas="3174012345678901"))
    assert outbox.claim_orphan(_other(outbox)) is None
    other_party = _other(outbox, noidentitas="3174000000000000")
    assert outbox.claim_orphan(other_party, noidentitas="3174000000000000") is None
    same = _other(outbox, noidentitas="3174012345678901")
    assert outbox.claim_orphan(same, noidentitas="3174012345678901") == SN


def test_replacing_the_document_keeps_the_serial_number_and_marks_it_for_reassign(
    outbox: Outbox,
) -> None:
    request_id = _holding_serial(outbox)
    outbox.mark_reassigned(SN)
    row = outbox.replace_document(
        request_id,
        Replacement(NEW_SHA, ORIGINAL, "fixed.pdf", "/x/fixed.pdf", 1, (10, 10, 80, 80)),
    )
    assert (row.state, row.sn, row.doc_sha256, row.original_sha256) == (
        State.QUEUED,
        SN,
        NEW_SHA,
        ORIGINAL,
    )
    assert (row.file_name, row.page_index, row.rect) == ("fixed.pdf", 1, (10, 10, 80, 80))
    assert (row.provider_file_id, row.stamp_tries) == (None, 0)
    assert outbox.serial_needs_reassign(SN)
    assert outbox.journal(request_id)[-1].to_state == "queued"
    assert [r.id for r in outbox.find_by_original(ORIGINAL)] == [request_id]


def test_only_a_refused_request_holding_a_serial_number_takes_another_document(
    outbox: Outbox,
) -> None:
    queued = _other(outbox)
    with pytest.raises(NotReplaceable):
        outbox.check_replaceable(queued)
    with pytest.raises(NotReplaceable):
        outbox.replace_document(queued, Replacement(SHA, SHA, "x.pdf", "/x.pdf", 0, (1, 1, 50, 50)))
    assert outbox.get(queued).doc_sha256 == NEW_SHA


def test_the_trigger_still_freezes_a_queued_document_outside_the_replacement(
    outbox: Outbox,
) -> None:
    request_id = _holding_serial(outbox)
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        outbox.backend.conn.execute(
            "UPDATE requests SET doc_sha256 = ? WHERE id = ?", [NEW_SHA, request_id]
        )
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        outbox.backend.conn.execute(
            "UPDATE requests SET state = 'queued', sn = NULL, doc_sha256 = ? WHERE id = ?",
            [NEW_SHA, request_id],
        )


def test_find_by_original_skips_cancelled_requests(outbox: Outbox) -> None:
    first = _other(outbox, original_sha256=ORIGINAL)
    assert [r.id for r in outbox.find_by_original(ORIGINAL)] == [first]
    assert [r.id for r in outbox.find_by_original(NEW_SHA)] == [first], "the stored bytes too"
    outbox.cancel(first)
    assert outbox.find_by_original(ORIGINAL) == []


def test_older_rows_are_known_by_their_stored_copy_after_the_migration(paths: Paths) -> None:
    outbox_at_version(paths, 4, state="done", sha256=SHA)
    box = Outbox.open(paths)
    try:
        (row,) = box.find_by_original(SHA)
        assert row.original_sha256 == SHA
    finally:
        box.close()
