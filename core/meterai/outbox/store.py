"""The outbox API: enqueue, move between states, record failures, and read.

Every state change is one transaction that updates the request and appends its
journal row, so the journal always explains the state. A request is read back
inside the same transaction that changes it: the check of the current state and
the write cannot be separated by another writer.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from meterai import doctypes
from meterai.errors import IllegalTransition, InputError, RequestNotFound, StoreError
from meterai.fsutil import make_dirs, sweep_temp_files
from meterai.i18n import N_, _
from meterai.messages import Message
from meterai.outbox.backup import BackupSchedule, schedule_for
from meterai.outbox.db import atomic, open_connection, open_read_only
from meterai.outbox.guard import keep_install_id, refuse_if_lost, refuse_if_unformatted
from meterai.outbox.migrations import LATEST, migrate
from meterai.outbox.states import ACTIVE, CANCELLABLE, TERMINAL, State, can_move
from meterai.settings import Paths

# Fields the engine may change as a request moves; everything else is fixed at queue time.
MUTABLE_FIELDS = frozenset(
    {
        "attempts",
        "next_attempt_at",
        "last_error",
        "provider_file_id",
        "sn",
        "numbering_tag",
        "stamped_path",
        "output_path",
        "source_path",
        "out_dir",
        "profile",
        "stamp_tries",
        "result_url",
        "waiting_reason",
        "last_error_msg",
    }
)


# States in which nothing is done with a request's serial number: a person was asked, or it
# was sent again and waits to upload (from ``uploaded`` on, the engine may be reassigning or
# stamping it).
_RELEASABLE = frozenset({State.NEEDS_ATTENTION, State.QUEUED})


@dataclass(frozen=True)
class NewRequest:
    """What the user confirmed: a stored document, where the stamp goes, and its description."""

    doc_sha256: str
    file_name: str
    doc_type: str
    page_index: int
    rect: tuple[float, float, float, float]
    source_path: str | None = None
    nodoc: str | None = None
    tgldoc: str | None = None
    nilaidoc: int | None = None
    out_dir: str | None = None
    customer: str | None = None
    namejidentitas: str | None = None
    noidentitas: str | None = None
    namedipungut: str | None = None
    profile: str | None = None
    original_sha256: str | None = None
    """The bytes the user gave, before any fix; ``None`` means they were stored unchanged."""
    doc_type_name: str | None = None
    """The name of the type the user chose; ``None``: the name the cached list gives now."""


@dataclass(frozen=True)
class RequestRow:
    id: int
    state: State
    doc_sha256: str
    file_name: str
    source_path: str | None
    doc_type: str
    page_index: int
    rect_x1: float
    rect_y1: float
    rect_x2: float
    rect_y2: float
    nodoc: str | None
    tgldoc: str | None
    nilaidoc: int | None
    out_dir: str | None
    created_at: float
    updated_at: float
    attempts: int
    next_attempt_at: float | None
    last_error: str | None
    provider_file_id: str | None
    sn: str | None
    numbering_tag: str | None
    stamped_path: str | None
    output_path: str | None
    customer: str | None
    namejidentitas: str | None
    noidentitas: str | None
    namedipungut: str | None
    profile: str | None
    stamp_tries: int
    result_url: str | None
    waiting_reason: str | None
    last_error_msg: str | None
    original_sha256: str | None
    doc_type_name: str | None

    def reason(self) -> str:
        """Why it waits or needs attention, in the current language."""
        stored = Message.from_json(self.last_error_msg)
        if stored is not None:
            return stored.text()
        return _(self.waiting_reason) if self.waiting_reason else self.last_error or ""

    @property
    def rect(self) -> tuple[float, float, float, float]:
        return (self.rect_x1, self.rect_y1, self.rect_x2, self.rect_y2)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> RequestRow:
        values = {f.name: row[f.name] for f in fields(cls)}
        values["state"] = State(values["state"])
        return cls(**values)

    def as_json(self) -> dict[str, Any]:
        body = {f.name: getattr(self, f.name) for f in fields(self)}
        body["state"] = str(self.state)
        body["file"] = self.file_name
        body["sha256"] = self.doc_sha256
        return body


@dataclass(frozen=True)
class JournalEntry:
    id: int
    request_id: int
    from_state: str | None
    to_state: str
    at: float
    detail: str | None


TAG_PATTERN = re.compile(r"mdk-[0-9a-f]{12}-[0-9a-f]{16}")


def purchase_tag(install_id: str) -> str:
    """A tag fixed at enqueue and sent with the paid call, so the provider's own list of
    serial numbers says which request bought each one, even after the outbox forgot."""
    return f"mdk-{install_id}-{os.urandom(8).hex()}"


class NotCancellable(InputError):
    code = "not_cancellable"
    template = N_(
        "Request {request_id} can no longer be cancelled: a serial number may already be "
        "bought for it. It will be stamped, or reused for your next document."
    )


class AlreadyFinished(InputError):
    code = "already_finished"
    template = N_("Request {request_id} is already finished or cancelled.")


class SerialUsed(InputError):
    code = "serial_used"
    template = N_(
        "Request {request_id} cannot be cancelled or given another document: its serial "
        "number {sn} was used for a stamp. Retry it to fetch the stamped file."
    )


class TypeNotChangeable(InputError):
    code = "type_not_changeable"
    template = N_(
        "Request {request_id} can change its document type only while it needs attention "
        "and before a serial number was bought for it (the one bought carries its type)."
    )


class NotReplaceable(InputError):
    code = "not_replaceable"
    template = N_(
        "Request {request_id} can take a corrected document only when the stamping service "
        "refused its document after a serial number was bought (state: needs attention, "
        "with a serial number). Otherwise cancel it and add the corrected document."
    )


@dataclass(frozen=True)
class Replacement:
    """A corrected document for a request that holds a paid serial number."""

    doc_sha256: str
    original_sha256: str
    file_name: str
    source_path: str
    page_index: int
    rect: tuple[float, float, float, float]


class Outbox:
    """One SQLite connection to the outbox; open one per thread."""

    def __init__(self, conn: sqlite3.Connection, path: Path, clock: Any = time.time) -> None:
        self.conn = conn
        self.path = path
        self._clock = clock
        self._backups: BackupSchedule | None = None

    @classmethod
    def open(cls, paths: Paths, *, check_integrity: bool = True) -> Outbox:
        """Open (or create) the data dir's outbox; every entry point comes through here, so
        a lost outbox is refused the same way in the CLI, the runner, the GUI and the kiosk."""
        refuse_if_lost(paths)
        make_dirs(paths.data_dir)
        conn = open_connection(
            paths.database,
            max_version=LATEST,
            check_integrity=check_integrity,
            before_writes=lambda c: refuse_if_unformatted(c, paths),
        )
        try:
            migrate(conn, paths.database)
            keep_install_id(conn, paths)
        except BaseException:
            conn.close()
            raise
        for folder in (paths.docs_dir, paths.stamped_dir):
            # Durably, before anything that names a file in it is recorded; on a read-only
            # medium the writer that needs the folder reports it.
            with contextlib.suppress(OSError):
                make_dirs(folder)
            sweep_temp_files(folder)
        box = cls(conn, paths.database)
        box._backups = schedule_for(paths)
        return box

    @classmethod
    def open_read_only(cls, paths: Paths) -> Outbox:
        """For reading only, when the disk refuses writes; its schema must be current."""
        refuse_if_lost(paths)
        conn = open_read_only(paths.database)
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version != LATEST:
            conn.close()
            raise StoreError(detail=f"{paths.database}: schema {version}, not {LATEST}")
        return cls(conn, paths.database)

    @classmethod
    def open_path(cls, database: Path) -> Outbox:
        conn = open_connection(database, max_version=LATEST)
        migrate(conn, database)
        return cls(conn, database)

    def close(self) -> None:
        """Close, taking the backup a burst of changes left pending (the end of a run)."""
        if self._backups is not None:
            self._backups.flush()
        self.conn.close()

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
        with atomic(self.conn):
            record = {
                "sha256": sha256,
                "size": size,
                "page_count": page_count,
                "pdf_version": pdf_version,
                "original_name": original_name,
                "fixes": json.dumps(list(fixes)),
                "added_at": self._clock(),
            }
            self.conn.execute(
                f"INSERT OR IGNORE INTO documents ({', '.join(record)}) "
                f"VALUES ({', '.join('?' for _ in record)})",
                list(record.values()),
            )

    # --- requests ------------------------------------------------------------------

    def enqueue(self, new: NewRequest, *, detail: str | None = None) -> RequestRow:
        """Accept a request: from this commit on it is never lost and never changes."""
        now = self._clock()
        record = {k: v for k, v in vars(new).items() if k != "rect"}
        record.update(
            dict(zip(("rect_x1", "rect_y1", "rect_x2", "rect_y2"), new.rect, strict=True))
        )
        record.update(state=str(State.QUEUED), created_at=now, updated_at=now, attempts=0)
        record["original_sha256"] = new.original_sha256 or new.doc_sha256
        record["doc_type_name"] = new.doc_type_name or doctypes.name_for(self, new.doc_type)
        with atomic(self.conn):
            record["numbering_tag"] = purchase_tag(self.install_id())
            cursor = self.conn.execute(
                f"INSERT INTO requests ({', '.join(record)}) "
                f"VALUES ({', '.join('?' for _ in record)})",
                list(record.values()),
            )
            request_id = int(cursor.lastrowid or 0)
            self._journal(request_id, None, State.QUEUED, now, detail)
            return self._get(request_id)

    def transition(
        self,
        request_id: int,
        to: State,
        *,
        detail: str | None = None,
        expect: State | None = None,
        **updates: Any,
    ) -> RequestRow:
        """Move a request to ``to`` in one transaction with its journal row.

        ``expect`` guards against acting on a stale read: the move only happens if the
        request is still in that state.
        """
        bad = set(updates) - MUTABLE_FIELDS
        if bad:
            raise ValueError(f"fields {sorted(bad)} are fixed once a request is queued")
        with atomic(self.conn):
            current = self._get(request_id)
            if (expect is not None and current.state != expect) or not can_move(current.state, to):
                raise IllegalTransition(
                    request_id=request_id, from_state=current.state, to_state=to
                )
            now = self._clock()
            self._update(request_id, {"state": str(to), "updated_at": now, **updates})
            self._journal(request_id, current.state, to, now, detail)
            return self._get(request_id)

    def note(self, request_id: int, detail: str, **updates: Any) -> RequestRow:
        """Record a fact about a request that does not change its state (with a journal row)."""
        bad = set(updates) - MUTABLE_FIELDS
        if bad:
            raise ValueError(f"fields {sorted(bad)} are fixed once a request is queued")
        with atomic(self.conn):
            current = self._get(request_id)
            now = self._clock()
            self._update(request_id, {"updated_at": now, **updates})
            self._journal(request_id, current.state, current.state, now, detail)
            return self._get(request_id)

    def record_failure(
        self, request_id: int, error: Message, *, next_attempt_at: float | None
    ) -> RequestRow:
        """Count a failed attempt and schedule the next one, journalled."""
        english = error.english()
        with atomic(self.conn):
            current = self._get(request_id)
            return self.note(
                request_id,
                f"attempt failed: {english}",
                attempts=current.attempts + 1,
                last_error=english,
                last_error_msg=error.to_json(),
                next_attempt_at=next_attempt_at,
            )

    def cancel(self, request_id: int, *, detail: str = "cancelled by the user") -> RequestRow:
        """Withdraw a request; a serial number it holds and no stamp used goes back as an
        orphan for the next document (zero stamps wasted)."""
        with atomic(self.conn):
            current = self._get(request_id)
            if current.state in TERMINAL:
                raise AlreadyFinished(request_id=request_id)
            if current.sn is not None:
                if current.state not in _RELEASABLE:
                    raise NotCancellable(request_id=request_id)
                return self.cancel_releasing_serial(request_id, detail=detail)
            allowed = current.state in CANCELLABLE or (
                current.state == State.NEEDS_ATTENTION
                and current.sn is None
                and not self.was_in(request_id, State.NUMBERING)
            )
            if not allowed:
                raise NotCancellable(request_id=request_id)
            return self.transition(request_id, State.CANCELLED, detail=detail)

    def cancel_releasing_serial(
        self, request_id: int, *, detail: str = "cancelled by the user"
    ) -> RequestRow:
        """Cancel a request that holds a serial number no stamp used (it waits for a person,
        or was sent again and is not being stamped), and record that number as an orphan
        in the same transaction. Before an orphan is moved to other bytes the engine asks
        the provider whether it is still unused, so a stamp the outbox never heard of is
        never moved."""
        with atomic(self.conn):
            current = self._get(request_id)
            sn = self._unused_serial(current, NotCancellable, _RELEASABLE)
            moved = self.transition(
                request_id,
                State.CANCELLED,
                detail=f"{detail}; serial number {sn} kept for the next document",
                expect=current.state,
                sn=None,
            )
            self._release_serial(sn, tag=current.numbering_tag, noidentitas=current.noidentitas)
            return moved

    def replace_document(
        self, request_id: int, new: Replacement, *, detail: str | None = None
    ) -> RequestRow:
        """Give a request refused after its serial number was bought a corrected document.

        The request goes back to ``queued`` with the same serial number, marked so the
        engine moves it to the new bytes with the reassign call before stamping; the
        document, placement and purchase facts change in one transaction with the journal
        row (the immutability trigger allows exactly this move)."""
        with atomic(self.conn):
            current = self._get(request_id)
            sn = self._unused_serial(current, NotReplaceable, {State.NEEDS_ATTENTION})
            now = self._clock()
            values: dict[str, Any] = {
                "state": str(State.QUEUED),
                "updated_at": now,
                "doc_sha256": new.doc_sha256,
                "original_sha256": new.original_sha256,
                "file_name": new.file_name,
                "source_path": new.source_path,
                "page_index": new.page_index,
                **dict(zip(("rect_x1", "rect_y1", "rect_x2", "rect_y2"), new.rect, strict=True)),
                "provider_file_id": None,
                "stamp_tries": 0,
                "result_url": None,
                "stamped_path": None,
                "attempts": 0,
                "next_attempt_at": None,
                "last_error": None,
                "last_error_msg": None,
                "waiting_reason": None,
            }
            self._update(request_id, values)
            self.conn.execute(
                "INSERT INTO serials (sn, request_id, tag, source, found_at)"
                " VALUES (?, ?, ?, 'replaced', ?) ON CONFLICT(sn) DO UPDATE SET"
                " source = 'replaced', reassigned_at = NULL",
                [sn, request_id, current.numbering_tag, now],
            )
            text = detail or f"document replaced by {new.file_name}; keeps serial number {sn}"
            self._journal(request_id, current.state, State.QUEUED, now, text)
            return self._get(request_id)

    def confirm_doc_type(
        self, request_id: int, kode: str, nama: str, *, detail: str | None = None
    ) -> RequestRow:
        """Send a request held because its type's code changed meaning: with the type the
        user confirmed or chose (code and the provider's current name), back to ``queued``,
        in one transaction with its journal row. Only before any serial number exists: one
        bought already carries the old type (the immutability trigger allows exactly this
        move)."""
        with atomic(self.conn):
            current = self._get(request_id)
            if current.state in TERMINAL:
                raise AlreadyFinished(request_id=request_id)
            if current.state != State.NEEDS_ATTENTION or current.sn is not None:
                raise TypeNotChangeable(request_id=request_id)
            now = self._clock()
            self._update(
                request_id,
                {
                    "state": str(State.QUEUED),
                    "updated_at": now,
                    "doc_type": kode,
                    "doc_type_name": nama,
                    "attempts": 0,
                    "next_attempt_at": None,
                    "last_error": None,
                    "last_error_msg": None,
                    "waiting_reason": None,
                },
            )
            text = detail or f"document type confirmed as {kode} ({nama})"
            self._journal(request_id, current.state, State.QUEUED, now, text)
            return self._get(request_id)

    def check_replaceable(self, request_id: int) -> RequestRow:
        """The request, if it may take a corrected document (asked before the new file is
        pre-flighted); otherwise the refusal that says why."""
        current = self._get(request_id)
        self._unused_serial(current, NotReplaceable, {State.NEEDS_ATTENTION})
        return current

    def _unused_serial(
        self, row: RequestRow, refusal: type[InputError], states: Collection[State]
    ) -> str:
        """The serial number the request holds, in one of ``states``, if no stamp used it."""
        if row.state in TERMINAL:
            raise AlreadyFinished(request_id=row.id)
        if row.state not in states or row.sn is None:
            raise refusal(request_id=row.id)
        if self.was_in(row.id, State.STAMPED):
            raise SerialUsed(request_id=row.id, sn=row.sn)
        return row.sn

    def _release_serial(self, sn: str, *, tag: str | None, noidentitas: str | None) -> None:
        self.conn.execute(
            "INSERT INTO serials (sn, request_id, tag, source, found_at, noidentitas)"
            " VALUES (?, NULL, ?, 'released', ?, ?) ON CONFLICT(sn) DO UPDATE SET"
            " request_id = NULL, source = 'released', reassigned_at = NULL,"
            " noidentitas = excluded.noidentitas",
            [sn, tag, self._clock(), noidentitas],
        )

    # --- reading -------------------------------------------------------------------

    def get(self, request_id: int) -> RequestRow:
        return self._get(request_id)

    def requests(
        self,
        *,
        states: Iterable[State] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[RequestRow]:
        sql, params = self._filter(states)
        sql = f"SELECT * FROM requests{sql} ORDER BY id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [RequestRow.from_row(r) for r in self.conn.execute(sql, params)]

    def count(self, *, states: Iterable[State] | None = None) -> int:
        sql, params = self._filter(states)
        return int(self.conn.execute(f"SELECT count(*) FROM requests{sql}", params).fetchone()[0])

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
        rows = self.conn.execute(
            f"SELECT * FROM requests WHERE state IN ({placeholders}) "
            "AND coalesce(next_attempt_at, 0) <= ? "
            "ORDER BY coalesce(next_attempt_at, 0), id LIMIT ?",
            [*map(str, states), now, limit],
        )
        return [RequestRow.from_row(r) for r in rows]

    def next_due_at(self) -> float | None:
        placeholders = ", ".join("?" for _ in ACTIVE)
        row = self.conn.execute(
            "SELECT min(coalesce(next_attempt_at, 0)) FROM requests "
            f"WHERE state IN ({placeholders})",
            [*map(str, ACTIVE)],
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def journal(self, request_id: int) -> list[JournalEntry]:
        self._get(request_id)
        rows = self.conn.execute(
            "SELECT * FROM journal WHERE request_id = ? ORDER BY id", [request_id]
        )
        return [JournalEntry(**dict(r)) for r in rows]

    def find_by_sha(self, sha256: str) -> list[RequestRow]:
        rows = self.conn.execute(
            "SELECT * FROM requests WHERE doc_sha256 = ? ORDER BY id", [sha256]
        )
        return [RequestRow.from_row(r) for r in rows]

    def find_by_original(self, sha256: str) -> list[RequestRow]:
        """Requests, queued or done but not cancelled, for a document with these bytes, as
        the user gave them or as stored after a fix: adding it again would buy a second
        stamp for the same document."""
        rows = self.conn.execute(
            "SELECT * FROM requests WHERE (original_sha256 = ? OR doc_sha256 = ?)"
            " AND state != ? ORDER BY id",
            [sha256, sha256, str(State.CANCELLED)],
        )
        return [RequestRow.from_row(r) for r in rows]

    def entered_at(self, request_id: int, state: State) -> float | None:
        """When the request last moved into ``state`` (notes within a state do not count)."""
        row = self.conn.execute(
            "SELECT max(at) FROM journal WHERE request_id = ? AND to_state = ?"
            " AND (from_state IS NULL OR from_state != to_state)",
            [request_id, str(state)],
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def was_in(self, request_id: int, state: State) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM journal WHERE request_id = ? AND to_state = ? LIMIT 1",
            [request_id, str(state)],
        ).fetchone()
        return row is not None

    def reschedule_waiting(self, now: float, spread: float, rng: Any) -> int:
        """Connectivity is back: pull every backed-off request forward to a jittered 'soon'."""
        placeholders = ", ".join("?" for _ in ACTIVE)
        with atomic(self.conn):
            ids = [
                r[0]
                for r in self.conn.execute(
                    f"SELECT id FROM requests WHERE state IN ({placeholders}) "
                    "AND next_attempt_at > ?",
                    [*map(str, ACTIVE), now],
                )
            ]
            for request_id in ids:
                self.conn.execute(
                    "UPDATE requests SET next_attempt_at = ?, attempts = 0 WHERE id = ?",
                    [now + rng.uniform(0, spread), request_id],
                )
        return len(ids)

    # --- serial numbers ------------------------------------------------------------

    def install_id(self) -> str:
        return str(
            self.conn.execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()[0]
        )

    def record_serial(
        self, sn: str, *, request_id: int | None, tag: str | None, source: str
    ) -> None:
        """Remember a serial number we know of; an existing owner is never overwritten."""
        with atomic(self.conn):
            self.conn.execute(
                "INSERT INTO serials (sn, request_id, tag, source, found_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(sn) DO UPDATE SET request_id = coalesce(serials.request_id,"
                " excluded.request_id)",
                [sn, request_id, tag, source, self._clock()],
            )

    def serial_snapshot(
        self, states: Iterable[State]
    ) -> tuple[dict[str, int | None], list[RequestRow]]:
        """Known serial numbers and the live requests without one, read in ONE snapshot so a
        purchase committed in between cannot look like an orphan."""
        with atomic(self.conn):
            owned: dict[str, int | None] = {
                str(r[0]): r[1] for r in self.conn.execute("SELECT sn, request_id FROM serials")
            }
            for r in self.conn.execute("SELECT sn, id FROM requests WHERE sn IS NOT NULL"):
                owned[str(r[0])] = int(r[1])
            return owned, self.requests(states=states)

    def record_orphan(self, sn: str, tag: str | None, *, source: str = "orphan") -> bool:
        """Record ``sn`` as owned by no request, unless a request holds it by now."""
        with atomic(self.conn):
            held = self.conn.execute(
                "SELECT 1 FROM requests WHERE sn = ? UNION SELECT 1 FROM serials WHERE sn = ?",
                [sn, sn],
            ).fetchone()
            if held:
                return False
            self.record_serial(sn, request_id=None, tag=tag, source=source)
            return True

    def orphans(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT sn FROM serials WHERE request_id IS NULL ORDER BY found_at, sn"
        )
        return [str(r[0]) for r in rows]

    def claim_orphan(self, request_id: int, *, noidentitas: str | None = None) -> str | None:
        """Give the oldest orphan serial number to ``request_id``, in one transaction.

        Reassigning changes only the document's number, type and name, not the party the
        duty was levied on: an orphan goes only to a request naming the same party (an
        orphan found by recovery names none as far as we know)."""
        with atomic(self.conn):
            row = self.conn.execute(
                "SELECT sn FROM serials WHERE request_id IS NULL"
                " AND coalesce(noidentitas, '') = coalesce(?, '')"
                " AND sn NOT IN (SELECT sn FROM requests WHERE sn IS NOT NULL)"
                " ORDER BY found_at, sn LIMIT 1",
                [noidentitas],
            ).fetchone()
            if row is None:
                return None
            sn = str(row[0])
            self.conn.execute("UPDATE serials SET request_id = ? WHERE sn = ?", [request_id, sn])
            self.note(request_id, f"orphan serial number {sn} claimed", sn=sn)
            return sn

    def serial_origin(self, sn: str) -> str | None:
        """How the outbox came to hold ``sn``: bought, orphan, released, replaced, adopted."""
        row = self.conn.execute("SELECT source FROM serials WHERE sn = ?", [sn]).fetchone()
        return None if row is None else str(row[0])

    def serial_holder(self, sn: str) -> int | None:
        """The request that holds ``sn``, if any."""
        row = self.conn.execute("SELECT id FROM requests WHERE sn = ?", [sn]).fetchone()
        return None if row is None else int(row[0])

    def serial_needs_reassign(self, sn: str) -> bool:
        row = self.conn.execute(
            "SELECT source, reassigned_at FROM serials WHERE sn = ?", [sn]
        ).fetchone()
        return row is not None and row[0] != "bought" and row[1] is None

    def mark_reassigned(self, sn: str) -> None:
        """Moved to its request's document; a number released meanwhile stays to be moved."""
        with atomic(self.conn):
            self.conn.execute(
                "UPDATE serials SET reassigned_at = ? WHERE sn = ? AND request_id IS NOT NULL",
                [self._clock(), sn],
            )

    def drop_serial(self, sn: str, request_id: int, detail: str) -> None:
        """A claimed serial number turned out unusable: forget it and free the request."""
        with atomic(self.conn):
            self.conn.execute("DELETE FROM serials WHERE sn = ?", [sn])
            self.note(request_id, detail, sn=None)

    # --- cached provider data ------------------------------------------------------

    def cache_put(self, key: str, value: Any) -> None:
        with atomic(self.conn):
            self.conn.execute(
                "INSERT INTO provider_cache (key, value, fetched_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                "fetched_at = excluded.fetched_at",
                [key, json.dumps(value), self._clock()],
            )

    def cache_get(self, key: str) -> Any | None:
        row = self.conn.execute("SELECT value FROM provider_cache WHERE key = ?", [key]).fetchone()
        return None if row is None else json.loads(row[0])

    # --- internals -----------------------------------------------------------------

    def _get(self, request_id: int) -> RequestRow:
        row = self.conn.execute("SELECT * FROM requests WHERE id = ?", [request_id]).fetchone()
        if row is None:
            raise RequestNotFound(request_id=request_id)
        return RequestRow.from_row(row)

    def _update(self, request_id: int, values: Mapping[str, Any]) -> None:
        assignments = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(
            f"UPDATE requests SET {assignments} WHERE id = ?", [*values.values(), request_id]
        )

    def _journal(
        self, request_id: int, src: State | None, dst: State, at: float, detail: str | None
    ) -> None:
        self.conn.execute(
            "INSERT INTO journal (request_id, from_state, to_state, at, detail) "
            "VALUES (?, ?, ?, ?, ?)",
            [request_id, None if src is None else str(src), str(dst), at, detail],
        )

    @staticmethod
    def _filter(states: Iterable[State] | None) -> tuple[str, list[Any]]:
        if states is None:
            return "", []
        chosen = [str(s) for s in states]
        return f" WHERE state IN ({', '.join('?' for _ in chosen)})", chosen
