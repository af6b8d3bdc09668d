"""The outbox's ``Backend`` on PostgreSQL: the same verbs, the same SQL, a shared server.

The verbs' SQL is the portable subset (``outbox/backend.py``); the only rewrite is the
parameter style (``?`` to psycopg's ``%s``). Transactions keep SQLite's guarantee: a
top-level ``atomic()`` first takes one transaction-level advisory lock, the server's
``BEGIN IMMEDIATE``, so write transactions of all counters follow one another and every
rule the verbs check (read, decide, write) holds across counters exactly as it does
across the threads of one process. A move of one request takes that lock shared
(``one_request``): it decides from its own row alone, locked ``FOR UPDATE``, so such
moves run side by side and wait only for the transactions that read across requests.
Claims (``claims.py``) run outside that lock: ``FOR UPDATE SKIP LOCKED`` lets counters
take due requests side by side, skipping a row a verb has locked.

A transaction runs in psycopg's pipeline mode: its statements go out together and the
client waits only where it needs an answer (the row it reads, the row a change
returns) and at ``COMMIT``, so a move is three round trips, not six (BEGIN, the lock,
each statement and COMMIT apart): each one was client and server CPU and, at three
counters, one more wait for the GIL with the row locked.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from typing import Any

import psycopg
import psycopg.errors
from psycopg.rows import dict_row

from meterai.errors import StoreLocked
from meterai.outbox.backend import Params, Row
from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.connect import translate

# The key of the one write lock (any bigint, fixed; distinct from the migration lock).
WRITE_LOCK = 0x6D65746572616902

_PLACEHOLDER = re.compile(r"'[^']*'|\?|%")


@functools.lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """``?`` placeholders as ``%s``, a literal ``%`` as ``%%``; quoted text left alone."""

    def swap(found: re.Match[str]) -> str:
        text = found.group(0)
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return text.replace("%", "%%")

    return _PLACEHOLDER.sub(swap, sql)


def _has_rows(cur: psycopg.Cursor[Any]) -> bool:
    """Whether the statement returned rows (a ``SELECT``, a ``RETURNING``).

    Asked of the result's status rather than of ``cursor.description``, which builds a
    ``Column`` object per column on every call: for the requests' ``SELECT *`` that was
    a tenth of a counter's CPU."""
    result = cur.pgresult
    return result is not None and result.status == psycopg.pq.ExecStatus.TUPLES_OK


class PostgresBackend:
    """One connection to the shared database (one per thread), as the verbs' ``Backend``."""

    for_update = " FOR UPDATE"

    def __init__(self, conn: psycopg.Connection[Any], url: DatabaseUrl) -> None:
        self.conn = conn
        self.url = url
        self.location = str(url)
        self._pipe: psycopg.Pipeline | None = None
        """The pipeline of the transaction ``atomic()`` has open, if any."""
        self._savepoints = 0

    @contextlib.contextmanager
    def atomic(self, *, one_request: bool = False) -> Iterator[None]:
        """One transaction (the write lock first), or a savepoint when already in one.

        A transaction on one request takes the write lock shared: moves of different
        requests (the bulk of a sync, several per document) then run side by side on
        every counter, and one that is slow to commit (its thread waiting for the GIL
        behind a verification) no longer holds up the whole account. Any other
        transaction takes it alone, so what it reads across requests still holds until
        it commits, as on SQLite."""
        if self._pipe is not None:
            # Inside a pipeline, statements still queued leave the server's status
            # idle: the pipeline, not the status, says a transaction is open.
            with self._refusals(), self._savepoint(self._pipe):
                yield
            return
        if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            with self._refusals(), self.conn.transaction():
                yield
            return
        take = "pg_advisory_xact_lock_shared" if one_request else "pg_advisory_xact_lock"
        committed = False
        with self._refusals():
            try:
                with self.conn.pipeline() as self._pipe:
                    self.conn.execute("BEGIN")
                    self.conn.execute(f"SELECT {take}(%s)", [WRITE_LOCK])
                    yield
                    self.conn.execute("COMMIT")
                # Leaving the pipeline waited for every answer queued: a refusal (of
                # COMMIT itself, or of a statement sent without waiting) raised there.
                committed = True
            finally:
                self._pipe = None
                if not committed:
                    self._roll_back()

    @contextlib.contextmanager
    def _savepoint(self, pipe: psycopg.Pipeline) -> Iterator[None]:
        """A nested ``atomic()`` in a pipelined transaction: SAVEPOINT and RELEASE go out
        with the statements around them (psycopg's own nested transaction waits for the
        server before and after each: a purchase's two cost eight round trips)."""
        self._savepoints += 1
        name = f"meterai_{self._savepoints}"
        try:
            self.conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                # Out of an aborted pipeline first (its error was raised already), then
                # back to the savepoint, as a caller that goes on expects to find it.
                with contextlib.suppress(psycopg.Error):
                    pipe.sync()
                self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                self.conn.execute(f"RELEASE SAVEPOINT {name}")
                pipe.sync()
                raise
            self.conn.execute(f"RELEASE SAVEPOINT {name}")
        finally:
            self._savepoints -= 1

    def _roll_back(self) -> None:
        """End a transaction that failed (its error is on its way up): ``ROLLBACK`` if
        one is still open. A connection that broke meanwhile has nothing to roll back."""
        if self.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            return
        with contextlib.suppress(psycopg.Error):
            self.conn.execute("ROLLBACK")

    def one(self, sql: str, params: Params = ()) -> Row | None:
        with self._refusals(), self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(to_pyformat(sql), list(params))
            self._answered()
            return cur.fetchone() if _has_rows(cur) else None

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        with self._refusals(), self.conn.cursor(row_factory=dict_row) as cur:
            cur.execute(to_pyformat(sql), list(params))
            self._answered()
            return list(cur.fetchall()) if _has_rows(cur) else []

    def run(self, sql: str, params: Params = ()) -> int:
        with self._refusals(), self.conn.cursor() as cur:
            cur.execute(to_pyformat(sql), list(params))
            self._answered()
            return cur.rowcount

    def send(self, sql: str, params: Params = ()) -> None:
        """A change whose answer nobody reads (a journal row): inside a transaction it
        goes out with the next statement that is waited for, and a refusal raises at
        the latest at ``COMMIT``, which then does not happen; outside one it runs now."""
        with self._refusals():
            self.conn.execute(to_pyformat(sql), list(params))

    def _answered(self) -> None:
        """In a pipelined transaction, wait for the answers so far (one round trip)."""
        if self._pipe is not None:
            self._pipe.sync()

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def _refusals(self) -> Iterator[None]:
        """The server refusing (unreachable, a lock wait that deadlocked) becomes its
        ``MeteraiError``; a bug (bad SQL, a broken constraint or trigger) stays itself."""
        try:
            yield
        except (psycopg.errors.DeadlockDetected, psycopg.errors.LockNotAvailable) as exc:
            raise StoreLocked(path=self.location) from exc
        except psycopg.OperationalError as exc:
            raise translate(exc, self.url) from exc
