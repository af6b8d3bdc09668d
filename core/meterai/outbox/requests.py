"""Requests and their journal: accept, move between states, record failures, and read.

Every state change is one transaction that updates the request and appends its
journal row, so the journal always explains the state. A request is read back
inside the same transaction that changes it (``for_update``): the check of the
current state and the write cannot be separated by another writer.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from meterai import doctypes
from meterai.errors import IllegalTransition, RequestNotFound
from meterai.i18n import N_
from meterai.messages import Message
from meterai.outbox.backend import Backend
from meterai.outbox.cache import ProviderCache
from meterai.outbox.rows import (
    MUTABLE_FIELDS,
    RETRIED_BY_THE_USER,
    AlreadyFinished,
    Detail,
    JournalEntry,
    NewRequest,
    RequestRow,
    TypeNotChangeable,
    purchase_tag,
    stored_detail,
)
from meterai.outbox.states import ACTIVE, TERMINAL, State, can_move

Clock = Callable[[], float]

RECT_FIELDS = ("rect_x1", "rect_y1", "rect_x2", "rect_y2")
# What a fresh start clears: the count of failed attempts and what the last one said.
CLEAN_SLATE: Mapping[str, Any] = MappingProxyType(
    {
        "attempts": 0,
        "next_attempt_at": None,
        "last_error": None,
        "last_error_msg": None,
        "waiting_reason": None,
        "queue_position": None,
        "provider_message": None,
    }
)


class RequestVerbs(ProviderCache):
    """The verbs on requests, over any ``Backend``."""

    # Which counter took a request in, as SQL on ``requests r``: one counter per outbox here.
    _OWNER = "NULL"

    def __init__(self, backend: Backend, clock: Clock = time.time) -> None:
        self._db = backend
        self._clock = clock

    @property
    def backend(self) -> Backend:
        return self._db

    @contextlib.contextmanager
    def atomic(self, *, one_request: bool = False) -> Iterator[None]:
        """Several verbs as one transaction: all of them commit, or none. ``one_request``:
        they concern one request alone (``Backend.atomic``)."""
        with self._db.atomic(one_request=one_request):
            yield

    def install_id(self) -> str:
        """This installation's id, carried by every purchase tag it sends."""
        row = self._db.one("SELECT value FROM meta WHERE key = 'install_id'")
        assert row is not None, "every opened outbox has an install id"
        return str(row["value"])

    # --- documents -----------------------------------------------------------------

    def add_document(
        self,
        sha256: str,
        *,
        size: int,
        page_count: int,
        pdf_version: str,
        original_name: str,
        fixes: Sequence[str] = (),
    ) -> None:
        record = {
            "sha256": sha256,
            "size": size,
            "page_count": page_count,
            "pdf_version": pdf_version,
            "original_name": original_name,
            "fixes": json.dumps(list(fixes)),
            "added_at": self._clock(),
        }
        with self._db.atomic():
            self._db.run(
                f"INSERT INTO documents ({', '.join(record)}) "
                f"VALUES ({', '.join('?' for _ in record)}) ON CONFLICT DO NOTHING",
                list(record.values()),
            )

    def known_documents(self) -> set[str]:
        """The sha256 of every stored document the outbox names."""
        rows = self._db.all(
            "SELECT sha256 FROM documents UNION SELECT doc_sha256 AS sha256 FROM requests"
        )
        return {str(r["sha256"]) for r in rows}

    # --- changing a request --------------------------------------------------------

    def enqueue(self, new: NewRequest, *, detail: Detail | None = None) -> RequestRow:
        """Accept a request: from this commit on it is never lost and never changes."""
        now = self._clock()
        record = {k: v for k, v in vars(new).items() if k != "rect"}
        record.update(dict(zip(RECT_FIELDS, new.rect, strict=True)))
        record.update(state=str(State.QUEUED), created_at=now, updated_at=now, attempts=0)
        record["original_sha256"] = new.original_sha256 or new.doc_sha256
        record["doc_type_name"] = new.doc_type_name or doctypes.name_for(self, new.doc_type)
        with self._db.atomic():
            record["numbering_tag"] = purchase_tag(self.install_id())
            inserted = self._db.one(
                f"INSERT INTO requests ({', '.join(record)}) "
                f"VALUES ({', '.join('?' for _ in record)}) RETURNING id",
                list(record.values()),
            )
            assert inserted is not None
            request_id = int(inserted["id"])
            self._journal(request_id, None, State.QUEUED, now, detail)
            return self._get(request_id)

    def transition(
        self,
        request_id: int,
        to: State,
        *,
        detail: Detail | None = None,
        expect: State | None = None,
        **updates: Any,
    ) -> RequestRow:
        """Move a request to ``to`` in one transaction with its journal row.

        ``expect`` guards against acting on a stale read: the move only happens if the
        request is still in that state.
        """
        _check_mutable(updates)
        with self._db.atomic(one_request=_one_request(updates)):
            return self._transition_in(request_id, to, detail, expect, updates)

    def _transition_in(
        self,
        request_id: int,
        to: State,
        detail: Detail | None,
        expect: State | None,
        updates: Mapping[str, Any],
    ) -> RequestRow:
        """The move itself, inside the caller's transaction (a backend adds its own part
        here rather than wrapping ``transition`` in a second, nested transaction)."""
        current = self._get(request_id, lock=True)
        if (expect is not None and current.state != expect) or not can_move(current.state, to):
            raise IllegalTransition(request_id=request_id, from_state=current.state, to_state=to)
        now = self._clock()
        moved = self._update(request_id, {"state": str(to), "updated_at": now, **updates})
        self._journal(request_id, current.state, to, now, detail)
        return moved

    def note(self, request_id: int, detail: Detail, **updates: Any) -> RequestRow:
        """Record a fact about a request that does not change its state (with a journal row)."""
        _check_mutable(updates)
        with self._db.atomic(one_request=_one_request(updates)):
            current = self._get(request_id, lock=True)
            now = self._clock()
            noted = self._update(request_id, {"updated_at": now, **updates})
            self._journal(request_id, current.state, current.state, now, detail)
            return noted

    def record_failure(
        self,
        request_id: int,
        error: Message,
        *,
        next_attempt_at: float | None,
        code: str | None = None,
        queue_position: int | None = None,
        provider_message: str | None = None,
    ) -> RequestRow:
        """Count a failed attempt and schedule the next one, journalled with the error's
        code (``provider_busy``, ...), which a helpdesk asks for along with the time; the
        provider's queue position and own words, if it gave them, are kept for ``status``."""
        english = error.english()
        failed = f"attempt failed ({code})" if code else "attempt failed"
        with self._db.atomic(one_request=True):
            current = self._get(request_id, lock=True)
            return self.note(
                request_id,
                f"{failed}: {english}",
                attempts=current.attempts + 1,
                last_error=english,
                last_error_msg=error.to_json(),
                next_attempt_at=next_attempt_at,
                queue_position=queue_position,
                provider_message=provider_message,
            )

    def retry(self, request_id: int, *, detail: Detail = RETRIED_BY_THE_USER) -> RequestRow:
        """Send a request that needs attention again, now and with a clean slate: the
        count of failed attempts and the old reason go (the journal keeps them); the
        serial number, if one was bought, stays. The one retry of the CLI and the GUI."""
        return self.transition(
            request_id, State.QUEUED, detail=detail, expect=State.NEEDS_ATTENTION, **CLEAN_SLATE
        )

    def confirm_doc_type(
        self, request_id: int, kode: str, nama: str, *, detail: Detail | None = None
    ) -> RequestRow:
        """Send a request held because its type's code changed meaning: with the type the
        user confirmed or chose (code and the provider's current name), back to ``queued``,
        in one transaction with its journal row. Only before any serial number exists: one
        bought already carries the old type (the immutability trigger allows exactly this
        move)."""
        with self._db.atomic():
            current = self._get(request_id, lock=True)
            if current.state in TERMINAL:
                raise AlreadyFinished(request_id=request_id)
            if current.state != State.NEEDS_ATTENTION or current.sn is not None:
                raise TypeNotChangeable(request_id=request_id)
            now = self._clock()
            confirmed = self._update(
                request_id,
                {
                    "state": str(State.QUEUED),
                    "updated_at": now,
                    "doc_type": kode,
                    "doc_type_name": nama,
                    **CLEAN_SLATE,
                },
            )
            text = detail or Message(
                N_("document type confirmed as {kode} ({nama})"), {"kode": kode, "nama": nama}
            )
            self._journal(request_id, current.state, State.QUEUED, now, text)
            return confirmed

    def reschedule_waiting(self, now: float, spread: float, rng: random.Random) -> int:
        """Connectivity is back: pull every backed-off request forward to a jittered 'soon'."""
        placeholders = ", ".join("?" for _ in ACTIVE)
        with self._db.atomic():
            ids = [
                int(r["id"])
                for r in self._db.all(
                    f"SELECT id FROM requests WHERE state IN ({placeholders}) "
                    "AND next_attempt_at > ?" + self._db.for_update,
                    [*map(str, ACTIVE), now],
                )
            ]
            for request_id in ids:
                self._db.run(
                    "UPDATE requests SET next_attempt_at = ?, attempts = 0 WHERE id = ?",
                    [now + rng.uniform(0, spread), request_id],
                )
        return len(ids)

    # --- reading -------------------------------------------------------------------

    def get(self, request_id: int) -> RequestRow:
        return self._get(request_id)

    def requests(
        self,
        *,
        states: Iterable[State] | None = None,
        limit: int | None = None,
        offset: int = 0,
        after_id: int = 0,
        newest_first: bool = False,
    ) -> list[RequestRow]:
        """Requests in id order (or newest first), from just past ``after_id``.

        Page with ``after_id`` (the last id seen), not ``offset``: the database has to
        walk past every skipped row of an offset, so listing 100,000 requests 500 at a
        time by offset read 10 million rows.
        """
        where, params = _state_filter(states)
        if after_id:
            where += (" AND" if where else " WHERE") + " id > ?"
            params.append(after_id)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT * FROM requests{where} ORDER BY id {order}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [RequestRow.from_row(r) for r in self._db.all(sql, params)]

    def count(self, *, states: Iterable[State] | None = None) -> int:
        sql, params = _state_filter(states)
        return self._count(f"SELECT count(*) AS n FROM requests{sql}", params)

    def done_since(self, since: float) -> int:
        """How many requests were finished (``done``) at or after ``since``."""
        return self._count(
            "SELECT count(*) AS n FROM requests WHERE state = ? AND updated_at >= ?",
            [str(State.DONE), since],
        )

    def stamped_between(
        self, start: float, end: float
    ) -> list[tuple[RequestRow, float, str | None]]:
        """Done requests stamped in ``[start, end)``, in stamping order: each with its time of
        stamping and the counter that took it in (``None`` where the outbox has one counter).

        One query for the whole day (the day's ledger may span 100,000 requests); the time
        is the provider's stamping, as the invoice dates it, not the export."""
        rows = self._db.all(
            f"SELECT r.*, coalesce(j.at, r.updated_at) AS stamped_at, {self._OWNER} AS taken_by"
            " FROM requests r LEFT JOIN (SELECT request_id, max(at) AS at FROM journal"
            " WHERE to_state = ? AND (from_state IS NULL OR from_state != to_state)"
            " GROUP BY request_id) j ON j.request_id = r.id"
            " WHERE r.state = ? AND coalesce(j.at, r.updated_at) >= ?"
            " AND coalesce(j.at, r.updated_at) < ? ORDER BY stamped_at, r.id",
            [str(State.STAMPED), str(State.DONE), start, end],
        )
        return [(RequestRow.from_row(r), float(r["stamped_at"]), r["taken_by"]) for r in rows]

    def due(
        self,
        now: float | None = None,
        *,
        limit: int = 100,
        states: Collection[State] = ACTIVE,
    ) -> list[RequestRow]:
        """Requests the engine should attempt now (in ``states``), the longest-waiting first."""
        now = self._clock() if now is None else now
        placeholders = ", ".join("?" for _ in states)
        rows = self._db.all(
            f"SELECT * FROM requests WHERE state IN ({placeholders}) "
            "AND coalesce(next_attempt_at, 0) <= ? "
            "ORDER BY coalesce(next_attempt_at, 0), id LIMIT ?",
            [*map(str, states), now, limit],
        )
        return [RequestRow.from_row(r) for r in rows]

    def next_due_at(self) -> float | None:
        placeholders = ", ".join("?" for _ in ACTIVE)
        row = self._db.one(
            "SELECT min(coalesce(next_attempt_at, 0)) AS at FROM requests "
            f"WHERE state IN ({placeholders})",
            [*map(str, ACTIVE)],
        )
        return None if row is None or row["at"] is None else float(row["at"])

    def journal(self, request_id: int) -> list[JournalEntry]:
        self._get(request_id)
        rows = self._db.all(
            "SELECT id, request_id, from_state, to_state, at, detail AS stored FROM journal"
            " WHERE request_id = ? ORDER BY id",
            [request_id],
        )
        return [JournalEntry(**r) for r in rows]

    def find_by_sha(self, sha256: str) -> list[RequestRow]:
        rows = self._db.all("SELECT * FROM requests WHERE doc_sha256 = ? ORDER BY id", [sha256])
        return [RequestRow.from_row(r) for r in rows]

    def find_by_original(self, sha256: str) -> list[RequestRow]:
        """Requests, queued or done but not cancelled, for a document with these bytes, as
        the user gave them or as stored after a fix: adding it again would buy a second
        stamp for the same document."""
        rows = self._db.all(
            "SELECT * FROM requests WHERE (original_sha256 = ? OR doc_sha256 = ?)"
            " AND state != ? ORDER BY id",
            [sha256, sha256, str(State.CANCELLED)],
        )
        return [RequestRow.from_row(r) for r in rows]

    def entered_at(self, request_id: int, state: State) -> float | None:
        """When the request last moved into ``state`` (notes within a state do not count)."""
        row = self._db.one(
            "SELECT max(at) AS at FROM journal WHERE request_id = ? AND to_state = ?"
            " AND (from_state IS NULL OR from_state != to_state)",
            [request_id, str(state)],
        )
        return None if row is None or row["at"] is None else float(row["at"])

    def was_in(self, request_id: int, state: State) -> bool:
        row = self._db.one(
            "SELECT 1 AS found FROM journal WHERE request_id = ? AND to_state = ? LIMIT 1",
            [request_id, str(state)],
        )
        return row is not None

    # --- internals -----------------------------------------------------------------

    def _get(self, request_id: int, *, lock: bool = False) -> RequestRow:
        """The request; ``lock`` inside a write transaction, when it is read to be changed."""
        suffix = self._db.for_update if lock else ""
        row = self._db.one("SELECT * FROM requests WHERE id = ?" + suffix, [request_id])
        if row is None:
            raise RequestNotFound(request_id=request_id)
        return self._row(row)

    def _row(self, row: Mapping[str, Any]) -> RequestRow:
        """A request as read from the database, as this outbox hands it out."""
        return RequestRow.from_row(row)

    def _update(self, request_id: int, values: Mapping[str, Any]) -> RequestRow:
        """Change the request's row; the row as it now is.

        Read back with a ``SELECT``, not ``RETURNING``: SQLite returns a REAL column
        holding a whole number as an ``int`` there (400 instead of 400.0), so the row
        would not equal the one every other read gives."""
        assignments = ", ".join(f"{k} = ?" for k in values)
        self._db.run(
            f"UPDATE requests SET {assignments} WHERE id = ?", [*values.values(), request_id]
        )
        return self._get(request_id)

    def _journal(
        self, request_id: int, src: State | None, dst: State, at: float, detail: Detail | None
    ) -> None:
        self._db.run(
            "INSERT INTO journal (request_id, from_state, to_state, at, detail) "
            "VALUES (?, ?, ?, ?, ?)",
            [request_id, None if src is None else str(src), str(dst), at, stored_detail(detail)],
        )

    def _count(self, sql: str, params: Sequence[Any]) -> int:
        row = self._db.one(sql, params)
        return 0 if row is None else int(row["n"])


def _one_request(updates: Mapping[str, Any]) -> bool:
    """A move that gives a request a serial number reads across requests (who holds it):
    it keeps the write lock alone; any other move concerns its own request only."""
    return "sn" not in updates and "numbering_tag" not in updates


def _check_mutable(updates: Mapping[str, Any]) -> None:
    bad = set(updates) - MUTABLE_FIELDS
    if bad:
        raise ValueError(f"fields {sorted(bad)} are fixed once a request is queued")


def _state_filter(states: Iterable[State] | None) -> tuple[str, list[Any]]:
    if states is None:
        return "", []
    chosen = [str(s) for s in states]
    return f" WHERE state IN ({', '.join('?' for _ in chosen)})", chosen
