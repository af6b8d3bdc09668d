"""The outbox shared by several counters: the verbs of ``Outbox`` plus what sharing needs.

- **Claims.** ``due()`` claims what it returns (``claims.claim_due``), so two counters
  never work on one request at once; a background thread renews this counter's leases.
  Every write verb reads its request with ``lock=True``: here that read also fences,
  refusing (``ClaimLost``) a move on a request another counter has claimed.
- **Bytes in the database.** A document's bytes are stored with its row, and a stamped
  result with its move to ``downloaded``, in the same transaction; a counter that takes
  over a request writes them to its own folders before the engine sees the request.
- **Release.** A request this counter will not carry on with (it waits for a person, it
  backs off after a failure, it is done, or it is verified and another counter owns its
  customer) is released in the same transaction, with a NOTIFY to wake the others.
- **Export by the owner.** ``verified`` requests are claimed only by the counter that
  took them in: the result goes to its customer's folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

from meterai.errors import RequestNotFound
from meterai.fsutil import atomic_write_bytes, make_dirs
from meterai.messages import Message
from meterai.outbox.postgres import claims
from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.backend import PostgresBackend
from meterai.outbox.postgres.connect import connect
from meterai.outbox.postgres.counter import counter_name
from meterai.outbox.postgres.schema import migrate
from meterai.outbox.postgres.wakeups import notify
from meterai.outbox.rows import RETRIED_BY_THE_USER, Detail, RequestRow, stored_detail
from meterai.outbox.states import ACTIVE, State
from meterai.outbox.store import Outbox
from meterai.provider.session import TokenShare
from meterai.settings import Paths

LEASE_ENV = "METERAI_LEASE_SECONDS"
LOGGER = logging.getLogger("meterai.outbox.postgres")

# How soon a counter looks again at its own request that another counter works on.
_OWN_REQUEST_LOOK = 5.0

# States after which this counter does not carry on with the request by itself.
_LET_GO = frozenset({State.NEEDS_ATTENTION, State.DONE, State.CANCELLED})
_FINISHED = frozenset({State.DONE, State.CANCELLED})


def lease_seconds() -> float:
    """How long a claim lasts without renewal: longer than any one provider call."""
    try:
        return max(1.0, float(os.environ.get(LEASE_ENV, claims.DEFAULT_LEASE)))
    except ValueError:
        return claims.DEFAULT_LEASE


class SharedOutbox(Outbox):
    """``Outbox`` on the shared database, as one counter (``counter``) uses it."""

    _OWNER = "r.counter"

    def __init__(
        self,
        backend: PostgresBackend,
        paths: Paths,
        counter: str,
        clock: Any = time.time,
    ) -> None:
        super().__init__(backend, clock)
        self._pg = backend
        self.paths = paths
        self.counter = counter
        self.lease = lease_seconds()
        _Renewer.join(backend.url, counter, self.lease)

    def close(self) -> None:
        _Renewer.leave(self.counter)
        super().close()

    # --- documents and results ---------------------------------------------------------

    def add_document(self, sha256: str, **fields: Any) -> None:
        with self.atomic():
            super().add_document(sha256, **fields)
            content = (self.paths.docs_dir / f"{sha256}.pdf").read_bytes()
            self._db.run(
                "INSERT INTO document_bytes (sha256, content) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [sha256, content],
            )

    def enqueue(self, new: Any, *, detail: Detail | None = None) -> RequestRow:
        with self.atomic():
            row = super().enqueue(new, detail=detail)
            self._db.run("UPDATE requests SET counter = ? WHERE id = ?", [self.counter, row.id])
            notify(self._pg.conn, f"queued:{row.id}")
            return row

    def _transition_in(
        self,
        request_id: int,
        to: State,
        detail: Detail | None,
        expect: State | None,
        updates: Any,
    ) -> RequestRow:
        """The move, with the result kept in the database and the claim let go of in the
        same transaction (``transition`` opened it)."""
        row = super()._transition_in(request_id, to, detail, expect, updates)
        if to == State.DOWNLOADED:
            self._keep_result(request_id)
        if to in _LET_GO:
            # Done or cancelled, nothing is left for another counter to do: waking every
            # counter would only have each of them ask for work again, once per document.
            self._release(request_id, wake=to not in _FINISHED)
        elif to == State.VERIFIED:
            self._release(request_id, unless_owner=True)
        return row

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
        """Backing off: any counter may take the next attempt. A failure on a request
        another counter took over is that counter's business: nothing is recorded."""
        try:
            with self._db.atomic(one_request=True):
                row = super().record_failure(
                    request_id,
                    error,
                    next_attempt_at=next_attempt_at,
                    code=code,
                    queue_position=queue_position,
                    provider_message=provider_message,
                )
                self._release(request_id)
                return row
        except claims.ClaimLost:
            return self.get(request_id)

    def retry(self, request_id: int, *, detail: Detail = RETRIED_BY_THE_USER) -> RequestRow:
        with self.atomic():
            row = super().retry(request_id, detail=detail)
            notify(self._pg.conn, f"queued:{request_id}")
            return row

    # --- claiming ----------------------------------------------------------------------

    def due(
        self,
        now: float | None = None,
        *,
        limit: int = 100,
        states: Collection[State] = ACTIVE,
    ) -> list[RequestRow]:
        """Claim the requests this counter should attempt now. Their files are brought
        here by ``bring_files``, on the thread that works on each: the runner claims on
        its one dispatching thread, where a document of another counter (its bytes read
        from the database, written and synced to disk: 7-25 ms) held up every slot
        waiting for a request, at three counters two documents in three."""
        now = self._clock() if now is None else now
        taken = claims.claim_due(
            self._pg.conn,
            self.counter,
            [str(s) for s in states],
            now=now,
            limit=limit,
            lease=self.lease,
            owners_only=[str(State.VERIFIED)],
        )
        return [self._here(RequestRow.from_row(r)) for r in taken]

    def next_due_at(self) -> float | None:
        """When this counter may next find work: a request claimed by another counter is
        not due before that claim's lease runs out, a verified one only for its owner;
        but a request this counter took in and another one works on is looked at again
        soon (it comes back verified, to be exported here: ``sync --once`` waits for it)."""
        placeholders = ", ".join("?" for _ in ACTIVE)
        row = self._db.one(
            "SELECT min(CASE WHEN claimed_by IS NULL OR claimed_by = ?"
            " THEN coalesce(next_attempt_at, 0)"
            " WHEN counter = ? THEN least(lease_until, ?)"
            " ELSE greatest(coalesce(next_attempt_at, 0), lease_until) END) AS at"
            f" FROM requests WHERE state IN ({placeholders}) AND (state != ? OR counter = ?)",
            [
                self.counter,
                self.counter,
                self._clock() + _OWN_REQUEST_LOOK,
                *map(str, ACTIVE),
                str(State.VERIFIED),
                self.counter,
            ],
        )
        return None if row is None or row["at"] is None else float(row["at"])

    def holds(self, request_id: int) -> bool:
        """Whether this counter's claim on the request stands (the engine keeps stepping
        a request only while it does)."""
        row = self._db.one("SELECT claimed_by FROM requests WHERE id = ?", [request_id])
        return row is not None and row["claimed_by"] == self.counter

    def current(self, request_id: int) -> tuple[RequestRow, bool]:
        """The request and whether this counter's claim on it stands, in one read."""
        row = self._db.one("SELECT * FROM requests WHERE id = ?", [request_id])
        if row is None:
            raise RequestNotFound(request_id=request_id)
        return self._row(row), row["claimed_by"] == self.counter

    def release(self, request_id: int) -> None:
        with self._db.atomic(one_request=True):
            self._release(request_id)

    # --- internals ---------------------------------------------------------------------

    def _get(self, request_id: int, *, lock: bool = False) -> RequestRow:
        """Read to be changed (``lock``), the read also fences and renews the claim, in
        the one statement that locks the row."""
        if not lock:
            return super()._get(request_id)
        row = claims.hold(self._pg.conn, self.counter, request_id, self.lease)
        if row is None:
            raise RequestNotFound(request_id=request_id)
        return self._row(row)

    def _row(self, row: Any) -> RequestRow:
        return self._here(RequestRow.from_row(row))

    def _update(self, request_id: int, values: Any) -> RequestRow:
        """The change and the row as it now is in one round trip (``RETURNING``: the
        server's types are exact, unlike SQLite's)."""
        assignments = ", ".join(f"{k} = ?" for k in values)
        row = self._db.one(
            f"UPDATE requests SET {assignments} WHERE id = ? RETURNING *",
            [*values.values(), request_id],
        )
        if row is None:
            raise RequestNotFound(request_id=request_id)
        return self._row(row)

    def _here(self, row: RequestRow) -> RequestRow:
        """The stamped file is wherever this counter keeps it, not where another one did."""
        if row.stamped_path is None:
            return row
        return dataclasses.replace(row, stamped_path=str(self._stamped_file(row.id)))

    def _journal(
        self, request_id: int, src: State | None, dst: State, at: float, detail: Detail | None
    ) -> None:
        """The journal also says which counter made each move (one ledger, many counters)."""
        self._pg.send(
            "INSERT INTO journal (request_id, from_state, to_state, at, detail, counter) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                request_id,
                None if src is None else str(src),
                str(dst),
                at,
                stored_detail(detail),
                self.counter,
            ],
        )

    def _stamped_file(self, request_id: int) -> Path:
        return self.paths.stamped_dir / f"{request_id}.pdf"

    def _release(self, request_id: int, *, unless_owner: bool = False, wake: bool = True) -> None:
        """Let go of the claim and wake the other counters, in one statement.
        ``unless_owner``: keep it when this counter took the request in (a verified
        request is exported by its owner)."""
        claims.release_with_commit(
            self._pg.conn, self.counter, request_id, unless_owner=unless_owner, wake=wake
        )

    def _keep_result(self, request_id: int) -> None:
        """The stamped file goes into the database with the move that records it. With no
        file here there is nothing to share: a counter that finds no result downloads it
        again (the engine's move from downloaded back to stamped)."""
        try:
            content = self._stamped_file(request_id).read_bytes()
        except FileNotFoundError:
            return
        self._pg.send(
            "INSERT INTO results (request_id, sha256, content) VALUES (?, ?, ?)"
            " ON CONFLICT (request_id) DO UPDATE SET sha256 = excluded.sha256,"
            " content = excluded.content",
            [request_id, hashlib.sha256(content).hexdigest(), content],
        )

    def bring_files(self, row: RequestRow) -> None:
        """The document (and a result already downloaded) in this counter's folders."""
        document = self.paths.docs_dir / f"{row.doc_sha256}.pdf"
        if not document.is_file():
            found = self._db.one(
                "SELECT content FROM document_bytes WHERE sha256 = ?", [row.doc_sha256]
            )
            if found is not None:
                _write(document, bytes(found["content"]))
        if row.state in (State.DOWNLOADED, State.VERIFIED):
            stamped = self._stamped_file(row.id)
            if not stamped.is_file():
                found = self._db.one("SELECT content FROM results WHERE request_id = ?", [row.id])
                if found is not None:
                    _write(stamped, bytes(found["content"]))


def _write(dest: Path, content: bytes) -> None:
    make_dirs(dest.parent)
    atomic_write_bytes(dest, content)


def open_shared(paths: Paths, url: DatabaseUrl, clock: Any = time.time) -> Outbox:
    """Open the shared outbox as this folder's counter: schema up to date, folders made."""
    conn = connect(url)
    try:
        migrate(conn, str(url))
    except BaseException:
        conn.close()
        raise
    for folder in (paths.data_dir, paths.docs_dir, paths.stamped_dir):
        with contextlib.suppress(OSError):
            make_dirs(folder)
    return SharedOutbox(PostgresBackend(conn, url), paths, counter_name(paths), clock)


class _Renewer:
    """One thread per counter in a process, renewing the counter's leases while it lives.

    A counter that dies stops renewing; one that is alive but cannot reach the database
    loses its claims when they run out, and its fenced moves are then refused."""

    _lock = threading.Lock()
    _running: dict[str, tuple[_Renewer, int]] = {}  # noqa: RUF012 (one registry per process)

    def __init__(self, url: DatabaseUrl, counter: str, lease: float) -> None:
        self._url, self._counter, self._lease = url, counter, lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="meterai-lease", daemon=True)
        self._thread.start()

    @classmethod
    def join(cls, url: DatabaseUrl, counter: str, lease: float) -> None:
        with cls._lock:
            found = cls._running.get(counter)
            renewer = found[0] if found else cls(url, counter, lease)
            cls._running[counter] = (renewer, (found[1] if found else 0) + 1)

    @classmethod
    def leave(cls, counter: str) -> None:
        with cls._lock:
            found = cls._running.get(counter)
            if found is None:
                return
            if found[1] > 1:
                cls._running[counter] = (found[0], found[1] - 1)
                return
            del cls._running[counter]
        found[0]._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self._lease / 4):
            with contextlib.suppress(Exception), _connected(self._url) as conn:
                conn.execute(
                    f"UPDATE requests SET lease_until = {claims.NOW} + %s WHERE claimed_by = %s",
                    [self._lease, self._counter],
                )


@contextlib.contextmanager
def _connected(url: DatabaseUrl) -> Iterator[Any]:
    conn = connect(url)
    try:
        yield conn
    finally:
        conn.close()


def _first_then_new(first: Any) -> Callable[[DatabaseUrl], Any]:
    """``connect``, except that the first call gets ``first``, already made."""
    made = [first]

    def connect_to(url: DatabaseUrl) -> Any:
        return made.pop() if made else connect(url)

    return connect_to


class CounterLinks:
    """What a sync run of a counter shares beyond the outbox: the account's login token
    and the wake-ups. The runner starts it with its ``wake``; ``close`` stops both."""

    def __init__(self, url: DatabaseUrl, wake: Callable[[], None]) -> None:
        from meterai.outbox.postgres.connect import open_pool
        from meterai.outbox.postgres.wakeups import Listener

        # The connection that says a refused password or a server that is off in words
        # (``open_pool``'s check) is the listener's first: one connection (each costs
        # the server a process, some 9 ms of CPU between the two sides), one wait. The
        # token share's pool connects on first use; it keeps a second connection for
        # reads while one holds the login's lock (a login on a slow link can outlast
        # the pool's timeout).
        first = connect(url)
        try:
            # The start-up calls read the shared token before any thread opened the
            # outbox (which brings the schema up to date): on a database no counter
            # used yet, its ``tokens`` table did not exist (a traceback at the first
            # start). One read of the schema's version when it is up to date.
            migrate(first, str(url))
        except BaseException:
            first.close()
            raise
        self._listener = Listener(url, lambda _reason: wake(), connect_to=_first_then_new(first))
        self._listener.begin()
        try:
            self._pool = open_pool(url, max_size=2, min_size=0, check=False)
        except BaseException:
            self._listener.stop()
            raise
        self._listener.ready()

    def token_share(self, login_url: str, user: str) -> TokenShare:
        from meterai.outbox.postgres.tokens import SharedToken, account_key

        return SharedToken(self._pool, account_key(login_url, user))

    def close(self) -> None:
        self._listener.stop()
        self._pool.close()
