"""Claims with FOR UPDATE SKIP LOCKED and a lease, fenced on every move."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.claims import ClaimLost, claim_due, hold, release, renew
from meterai.outbox.postgres.connect import connect
from tests.core.outbox.postgres.conftest import add_request

ACTIVE = ["queued", "uploaded", "numbering", "numbered"]


def _claim(url: DatabaseUrl, counter: str, *, limit: int = 100, lease: float = 60.0) -> list[int]:
    with connect(url) as conn:
        return _ids(claim_due(conn, counter, ACTIVE, now=1000.0, limit=limit, lease=lease))


def _ids(rows: list[dict[str, Any]]) -> list[int]:
    return [int(r["id"]) for r in rows]


def _waiting_for_a_lock(conn: psycopg.Connection[Any]) -> bool:
    """Is a session of this database blocked on a lock? Asked of the server, so the answer
    does not depend on how long a loaded machine takes to connect and claim."""
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return bool(row and row[0])


def test_counters_claiming_at_once_take_disjoint_requests(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    ids = {add_request(conn) for _ in range(40)}
    with ThreadPoolExecutor(4) as pool:
        taken = list(pool.map(lambda n: _claim(db_url, f"c{n}", limit=5), range(16)))
    flat = [i for batch in taken for i in batch]
    assert len(flat) == len(set(flat)) == 40  # every request once, none twice
    assert set(flat) == ids


def test_skip_locked_does_not_wait_for_a_counter_mid_claim(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    first, second = add_request(conn), add_request(conn)
    with connect(db_url) as slow, slow.transaction():
        assert _ids(claim_due(slow, "slow", ACTIVE, now=1000.0, limit=1)) == [first]
        # The slow counter's transaction is still open; the other is not held up by it.
        done = threading.Event()
        got: list[int] = []

        def other() -> None:
            got.extend(_claim(db_url, "fast"))
            done.set()

        threading.Thread(target=other).start()
        while not done.wait(0.05):
            assert not _waiting_for_a_lock(conn), "the second counter waits for the row lock"
        assert got == [second]


def test_only_due_requests_in_the_given_states_are_claimed(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    due = add_request(conn, at=999.0)
    add_request(conn, at=2000.0)  # backing off
    add_request(conn, state="needs_attention")
    add_request(conn, state="done")
    assert _claim(db_url, "c1") == [due]


def test_a_counter_takes_its_own_requests_first_and_others_once_it_has_none(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    """Its own documents are in its folder and their results are delivered there; another
    counter's need fetching and a hand-over back (2 in 3 at three counters, before)."""
    theirs = [add_request(conn, at=1.0, counter="loket-1") for _ in range(2)]
    mine = [add_request(conn, at=5.0, counter="loket-2") for _ in range(2)]
    assert set(_claim(db_url, "loket-2", limit=3)) == {*mine, theirs[0]}
    assert _claim(db_url, "loket-3", limit=5) == [theirs[1]]


def test_a_live_claim_is_left_alone_and_an_expired_one_is_taken_over(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    request_id = add_request(conn)
    assert _claim(db_url, "c1") == [request_id]
    assert _claim(db_url, "c2") == []
    assert renew(conn, "c1", [request_id], lease=0.5) == [request_id]  # c1's last renewal
    conn.execute("SELECT pg_sleep(0.7)")
    assert _claim(db_url, "c2") == [request_id]
    with pytest.raises(ClaimLost) as lost, conn.transaction():
        hold(conn, "c1", request_id)  # c1 woke up late: it may not move the request
    assert lost.value.params["holder"] == "c2"


def test_renewing_keeps_a_claim_past_its_first_lease(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    request_id = add_request(conn)
    assert _claim(db_url, "c1", lease=0.5) == [request_id]
    assert renew(conn, "c1", [request_id]) == [request_id]
    conn.execute("SELECT pg_sleep(0.7)")  # the first lease is over, the renewed one is not
    assert _claim(db_url, "c2") == []
    assert renew(conn, "c2", [request_id]) == []


def test_a_restarted_counter_takes_its_own_claims_back(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    request_id = add_request(conn)
    assert _claim(db_url, "c1") == [request_id]
    assert _claim(db_url, "c1") == [request_id]
    # ... but a running one does not claim again what its own workers are busy with.
    assert claim_due(conn, "c1", ACTIVE, now=1000.0, limit=9, busy=[request_id]) == []
    assert _ids(claim_due(conn, "c1", ACTIVE, now=1000.0, limit=9)) == [request_id]


def test_a_released_request_is_free_for_anyone(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    request_id = add_request(conn)
    assert _claim(db_url, "c1") == [request_id]
    assert release(conn, "c2", request_id) is False  # not c2's to release
    assert release(conn, "c1", request_id) is True
    assert _claim(db_url, "c2") == [request_id]


def test_hold_renews_the_holders_own_claim_and_passes_unclaimed_rows(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    claimed, free = add_request(conn), add_request(conn, state="needs_attention")
    assert _claim(db_url, "c1", lease=0.5) == [claimed]
    conn.execute("SELECT pg_sleep(0.7)")
    with conn.transaction():
        hold(conn, "c1", claimed, lease=60.0)  # expired, but nobody took it: still c1's
        hold(conn, "anyone", free)
    assert _claim(db_url, "c2") == []
