"""Any counter can work on any request: claims with ``FOR UPDATE SKIP LOCKED`` and a lease.

A counter claims due requests by writing its name and a lease deadline on them; the
``SKIP LOCKED`` sub-select means two counters claiming at the same moment take
different rows instead of waiting on each other. A live counter renews its leases; a
counter that dies stops renewing, and once the lease has run out another counter may
claim the request and carry on from its durable state (a request in ``numbering``
is reconciled by its tag, never bought again).

Deadlines are read on the database server's clock, so counters whose clocks
disagree still agree on when a lease ran out. Every move a counter makes on a
claimed request is fenced with :func:`hold`: a counter that lost its claim (it was
paused past its lease) cannot move the request under the counter that took it over.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

from meterai.errors import IllegalTransition
from meterai.i18n import N_
from meterai.outbox.postgres.wakeups import CHANNEL

DEFAULT_LEASE = 120.0
NOW = "extract(epoch from clock_timestamp())"


class ClaimLost(IllegalTransition):
    """Another counter holds the request now: this one must leave it alone (to the engine
    it is a move that is no longer allowed, as when another worker settled the request)."""

    code = "claim_lost"
    template = N_("Request {request_id} is being handled by counter {holder} now.")


def claim_due(
    conn: psycopg.Connection[Any],
    counter: str,
    states: Collection[str],
    *,
    now: float,
    limit: int,
    lease: float = DEFAULT_LEASE,
    busy: Collection[int] = (),
    owners_only: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Claim up to ``limit`` due requests in ``states`` for ``counter``: their rows, the
    longest-waiting first (one round trip: the claim returns what it took).

    The requests ``counter`` took in itself come before other counters' ones: their
    document is in this folder already and their result is delivered here, while
    another counter's request needs its document fetched from the database and comes
    back to its owner for delivery (a hand-over the owner has to notice). A counter
    with none of its own left still takes the others', so no queue waits on a busy one.

    A request is free when nobody claims it, its lease ran out, or ``counter`` itself
    holds it (a restarted counter takes its own claims back at once); ``busy`` are the
    ones this process is working on already. A request in one of ``owners_only`` is
    claimed only by the counter that took it in (its result goes to that counter's
    customer)."""
    cursor = conn.cursor(row_factory=dict_row)
    rows = cursor.execute(
        f"""
        UPDATE requests SET claimed_by = %(counter)s, lease_until = {NOW} + %(lease)s
        WHERE id IN (
            SELECT id FROM requests
            WHERE state = ANY(%(states)s) AND coalesce(next_attempt_at, 0) <= %(now)s
              AND NOT (id = ANY(%(busy)s))
              AND (NOT (state = ANY(%(owners_only)s)) OR counter = %(counter)s)
              AND (claimed_by IS NULL OR claimed_by = %(counter)s OR lease_until < {NOW})
            ORDER BY counter IS DISTINCT FROM %(counter)s, coalesce(next_attempt_at, 0), id
            LIMIT %(limit)s
            FOR UPDATE SKIP LOCKED
        )
        RETURNING *
        """,
        {
            "counter": counter,
            "lease": lease,
            "states": list(states),
            "now": now,
            "limit": limit,
            "busy": list(busy),
            "owners_only": list(owners_only),
        },
    ).fetchall()
    return sorted(rows, key=lambda r: (r["next_attempt_at"] or 0, r["id"]))


def renew(
    conn: psycopg.Connection[Any], counter: str, ids: Sequence[int], lease: float = DEFAULT_LEASE
) -> list[int]:
    """Extend ``counter``'s leases on ``ids``; the ids it still held."""
    rows = conn.execute(
        f"UPDATE requests SET lease_until = {NOW} + %s"
        " WHERE id = ANY(%s) AND claimed_by = %s RETURNING id",
        [lease, list(ids), counter],
    ).fetchall()
    return sorted(int(r[0]) for r in rows)


def release(
    conn: psycopg.Connection[Any],
    counter: str,
    request_id: int,
    *,
    unless_owner: bool = False,
    wake: bool = True,
) -> bool:
    """Give the request back (its step is done or it waits) and, if ``counter`` held it
    and ``wake``, wake the listening counters (at commit); whether it held it.
    ``unless_owner``: keep the claim when ``counter`` took the request in. One
    statement, one round trip."""
    sql, params = _release_statement(counter, request_id, unless_owner=unless_owner, wake=wake)
    return conn.execute(sql, params).fetchone() is not None


def release_with_commit(
    conn: psycopg.Connection[Any],
    counter: str,
    request_id: int,
    *,
    unless_owner: bool = False,
    wake: bool = True,
) -> None:
    """``release`` inside a pipelined transaction, when nobody asks whether ``counter``
    held the request: the statement goes out with ``COMMIT``, no round trip of its own."""
    sql, params = _release_statement(counter, request_id, unless_owner=unless_owner, wake=wake)
    conn.execute(sql, params)


def _release_statement(
    counter: str, request_id: int, *, unless_owner: bool, wake: bool
) -> tuple[str, dict[str, Any]]:
    keep_own = " AND counter IS DISTINCT FROM %(counter)s" if unless_owner else ""
    released = (
        "UPDATE requests SET claimed_by = NULL, lease_until = NULL"
        f" WHERE id = %(id)s AND claimed_by = %(counter)s{keep_own} RETURNING id"
    )
    if wake:
        released = (
            f"WITH released AS ({released})"
            " SELECT pg_notify(%(channel)s, 'released:' || id) FROM released"
        )
    return released, {"id": request_id, "counter": counter, "channel": CHANNEL}


def hold(
    conn: psycopg.Connection[Any], counter: str, request_id: int, lease: float = DEFAULT_LEASE
) -> dict[str, Any] | None:
    """Inside a transaction: lock the request's row and check that no other counter holds
    it, else raise :class:`ClaimLost`; ``counter``'s own claim is renewed. A request
    nobody claims (one moved by a person, from the CLI or the GUI) may be moved by anyone.
    Returns the locked row (``None``: no such request), so the caller need not read it
    again: lock, fence, renewal and read are one statement, one round trip.

    An expired claim of ``counter``'s own that nobody took yet is still its own: the
    row lock taken here keeps ``claim_due`` (``SKIP LOCKED``) off it until commit."""
    cursor = conn.cursor(row_factory=dict_row)
    row = cursor.execute(
        "UPDATE requests SET lease_until = CASE WHEN claimed_by = %(counter)s"
        f" THEN {NOW} + %(lease)s ELSE lease_until END WHERE id = %(id)s RETURNING *",
        {"counter": counter, "lease": lease, "id": request_id},
    ).fetchone()
    if row is not None and row["claimed_by"] not in (None, counter):
        raise ClaimLost(request_id=request_id, holder=row["claimed_by"])
    return row
