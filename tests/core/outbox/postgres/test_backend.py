"""The PostgreSQL backend's write lock: moves of different requests run side by side, a
transaction that reads across requests still runs alone (bench/counters.py measured the
one lock for all as the queue every counter stood in)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from meterai.errors import StoreLocked
from meterai.outbox import Outbox, State
from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.backend import PostgresBackend
from meterai.outbox.postgres.connect import connect
from tests.core.outbox.postgres.conftest import add_request


@pytest.fixture
def boxes(db_url: DatabaseUrl) -> Iterator[list[Outbox]]:
    """Three outboxes on the same database, as three counters' threads have them; a lock
    wait longer than 0.3 s is refused (``StoreLocked``) instead of waited out."""
    made = []
    for _ in range(3):
        conn = connect(db_url)
        conn.execute("SET lock_timeout = '300ms'")
        made.append(Outbox(PostgresBackend(conn, db_url)))
    yield made
    for box in made:
        box.close()


def _moved(conn: psycopg.Connection[Any], request_id: int) -> str:
    row = conn.execute("SELECT state FROM requests WHERE id = %s", [request_id]).fetchone()
    assert row is not None
    return str(row[0])


def test_moves_of_two_requests_do_not_wait_for_each_other(
    boxes: list[Outbox], conn: psycopg.Connection[Any]
) -> None:
    first, second = add_request(conn), add_request(conn)
    one, two, _three = boxes
    with one.atomic(one_request=True):
        one.transition(first, State.UPLOADED, provider_file_id="f-1")
        two.transition(second, State.UPLOADED, provider_file_id="f-2")  # not held up
        assert _moved(conn, second) == "uploaded"
        assert _moved(conn, first) == "queued"  # not committed yet
    assert _moved(conn, first) == "uploaded"


def test_a_transaction_across_requests_waits_for_the_moves_and_they_for_it(
    boxes: list[Outbox], conn: psycopg.Connection[Any]
) -> None:
    first, second = add_request(conn), add_request(conn)
    one, two, three = boxes
    with one.atomic(one_request=True):
        one.transition(first, State.UPLOADED, provider_file_id="f-1")
        with pytest.raises(StoreLocked):
            three.serial_snapshot([State.QUEUED])  # reads every request: it must wait
    with three.atomic():
        three.record_orphan("ORPHAN0000000000000001", None)
        with pytest.raises(StoreLocked):
            two.transition(second, State.UPLOADED, provider_file_id="f-2")
    two.transition(second, State.UPLOADED, provider_file_id="f-2")
    assert _moved(conn, second) == "uploaded"


def test_the_same_request_is_still_moved_by_one_transaction_at_a_time(
    boxes: list[Outbox], conn: psycopg.Connection[Any]
) -> None:
    first = add_request(conn)
    one, two, _three = boxes
    with one.atomic(one_request=True):
        one.transition(first, State.UPLOADED, provider_file_id="f-1")
        with pytest.raises(StoreLocked):  # the row lock
            two.transition(first, State.NUMBERING)
    assert _moved(conn, first) == "uploaded"


def test_a_statement_sent_without_waiting_that_fails_undoes_the_whole_transaction(
    boxes: list[Outbox], conn: psycopg.Connection[Any]
) -> None:
    """Pipeline mode: a journal row goes out with COMMIT and nobody waits for its answer.
    When the server refuses it, the move made before it in the same transaction must
    not commit, the refusal must reach the caller, and the connection must still work."""
    request_id = add_request(conn)
    box = boxes[0]
    backend = box.backend
    assert isinstance(backend, PostgresBackend)
    with pytest.raises(psycopg.errors.ForeignKeyViolation), box.atomic(one_request=True):
        box.transition(request_id, State.UPLOADED, provider_file_id="f-1")
        backend.send(
            "INSERT INTO journal (request_id, from_state, to_state, at) VALUES (?, ?, ?, ?)",
            [request_id + 1000, "queued", "uploaded", 0.0],
        )
    assert _moved(conn, request_id) == "queued"
    assert box.transition(request_id, State.UPLOADED, provider_file_id="f-2").state == "uploaded"
    assert _moved(conn, request_id) == "uploaded"


def test_a_nested_atomic_that_fails_is_undone_alone_and_the_transaction_goes_on(
    boxes: list[Outbox], conn: psycopg.Connection[Any]
) -> None:
    """A nested ``atomic()`` in a pipelined transaction is a savepoint sent with the
    statements around it: a refusal inside it (a server error, or an exception of the
    caller's) undoes that part alone, and a caller that catches it carries on."""
    first, second = add_request(conn), add_request(conn)
    box = boxes[0]
    backend = box.backend
    with box.atomic():
        box.transition(first, State.UPLOADED, provider_file_id="f-1")
        with pytest.raises(psycopg.errors.UniqueViolation), box.atomic():
            box.transition(second, State.UPLOADED, provider_file_id="f-2")
            backend.run("INSERT INTO meta (key, value) VALUES ('install_id', 'twice')")
        with pytest.raises(ValueError), box.atomic():
            box.transition(second, State.UPLOADED, provider_file_id="f-3")
            raise ValueError("the caller's own failure")
        box.note(first, "still in the same transaction")
    assert _moved(conn, first) == "uploaded"
    assert _moved(conn, second) == "queued"
    journal = conn.execute(
        "SELECT request_id, to_state FROM journal WHERE request_id IN (%s, %s) ORDER BY id",
        [first, second],
    ).fetchall()
    assert journal[-2:] == [(first, "uploaded"), (first, "uploaded")]
    assert (second, "uploaded") not in journal
