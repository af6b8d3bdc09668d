"""Opening the SQLite file safely, and the one way to write to it (``atomic``).

Plain ``sqlite3`` is used for the connection and transactions because sqlite-utils'
own ``atomic()`` starts a deferred ``BEGIN``; a writer must take the write lock up
front (``BEGIN IMMEDIATE``) or two engines can deadlock upgrading their read locks.
sqlite-utils is used inside these transactions for schema and inserts (it nests as
savepoints).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from meterai.errors import MigrationError, StoreCorrupt, StoreError, StoreLocked

BUSY_TIMEOUT_MS = 5000
EXPECTED_PRAGMAS = {"journal_mode": "wal", "synchronous": 2, "busy_timeout": BUSY_TIMEOUT_MS}


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _translate(exc: sqlite3.Error, path: Path) -> StoreError:
    text = str(exc).lower()
    if _is_busy(exc):
        return StoreLocked(path=str(path))
    if isinstance(exc, sqlite3.DatabaseError) and (
        "malformed" in text or "not a database" in text or "corrupt" in text
    ):
        return StoreCorrupt(path=str(path), detail=str(exc))
    return StoreError(detail=str(exc))


def open_connection(
    path: Path, *, max_version: int | None = None, check_integrity: bool = True
) -> sqlite3.Connection:
    """Open ``path`` with the pragmas we rely on, read back, or raise a ``StoreError``.

    Everything that can refuse the file (header, schema too new, integrity) runs before
    the first pragma that writes, so a refused file is left byte-for-byte untouched.
    """
    # The file is never opened with plain open(): on POSIX, closing ANY descriptor of a
    # file drops every lock this process's SQLite connections hold on it, and another
    # process may then delete the WAL under a live connection. SQLite itself refuses a
    # file that is not a database, before anything is written.
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise _translate(exc, path) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if max_version is not None and version > max_version:
            raise MigrationError(path=str(path), found=version, known=max_version)
        if check_integrity:
            _integrity_check(conn, path)
        _switch_to_wal(conn)
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        _verify_pragmas(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise _translate(exc, path) from exc
    except StoreError:
        conn.close()
        raise
    conn.row_factory = sqlite3.Row
    return conn


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """Retry within the busy timeout: SQLite refuses a journal-mode change with SQLITE_BUSY
    at once, without its busy handler, while another connection is opening the same new
    file (the GUI's workers, or a kiosk and its runner, on a fresh data folder)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _integrity_check(conn: sqlite3.Connection, path: Path) -> None:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:
        first = str(rows[0]).splitlines()[0] if rows else "integrity check failed"
        raise StoreCorrupt(path=str(path), detail=first[:120])


def read_pragmas(conn: sqlite3.Connection) -> dict[str, object]:
    return {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in EXPECTED_PRAGMAS}


def _verify_pragmas(conn: sqlite3.Connection, path: Path) -> None:
    """A build default or a read-only medium can silently refuse a pragma: check it took."""
    actual = read_pragmas(conn)
    if str(actual["journal_mode"]).lower() != "wal":
        raise StoreError(detail=f"{path}: journal_mode is {actual['journal_mode']}, not WAL")
    wrong = {k: v for k, v in actual.items() if k != "journal_mode" and v != EXPECTED_PRAGMAS[k]}
    if wrong:
        raise StoreError(detail=f"{path}: pragmas not applied: {wrong}")


@contextlib.contextmanager
def atomic(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One transaction (``BEGIN IMMEDIATE``), or a savepoint when already inside one."""
    if conn.in_transaction:
        name = f"sp_{os.urandom(8).hex()}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StoreLocked(path="outbox") from exc
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
