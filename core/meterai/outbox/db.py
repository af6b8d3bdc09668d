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
from collections.abc import Callable, Iterator
from pathlib import Path

from meterai import disk
from meterai.errors import (
    DiskError,
    MeteraiError,
    MigrationError,
    StoreCorrupt,
    StoreError,
    StoreLocked,
)

BUSY_TIMEOUT_MS = 5000
# SQLite's primary result codes (the low byte of Python's ``sqlite_errorcode``).
_READONLY, _IOERR, _FULL, _CANTOPEN = 8, 10, 13, 14
EXPECTED_PRAGMAS = {"journal_mode": "wal", "synchronous": 2, "busy_timeout": BUSY_TIMEOUT_MS}

CommitListener = Callable[[Path], None]
_commit_listeners: list[CommitListener] = []


class OutboxConnection(sqlite3.Connection):
    """A connection that knows its file, so ``atomic`` can say which database committed."""

    path: Path


def on_commit(listener: CommitListener) -> Callable[[], None]:
    """Call ``listener(database path)`` after every top-level commit; returns the remover.

    The rolling backups learn of a burst of changes here (one seam for every writer:
    the store, the migrations, money's and the kiosk's verbs), and the power-loss test
    marks a commit as durable here: with ``synchronous=FULL`` in WAL mode, COMMIT
    returns only after SQLite has fsynced the log.
    """
    _commit_listeners.append(listener)
    return lambda: _commit_listeners.remove(listener)


def _committed(conn: sqlite3.Connection) -> None:
    if not isinstance(conn, OutboxConnection):
        return
    for listener in list(_commit_listeners):
        listener(conn.path)


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def refusal(exc: sqlite3.Error, path: Path) -> MeteraiError | None:
    """The database refusing (busy, a read-only folder, a full disk, a damaged file) as
    its ``MeteraiError``; ``None`` for anything else, which is a bug."""
    text = str(exc).lower()
    if _is_busy(exc):
        return StoreLocked(path=str(path))
    refused = disk_refusal(exc, path.parent)
    if refused is not None:
        return refused
    if isinstance(exc, sqlite3.DatabaseError) and (
        "malformed" in text or "not a database" in text or "corrupt" in text
    ):
        return StoreCorrupt(path=str(path), detail=str(exc))
    return None


def disk_refusal(exc: sqlite3.Error, folder: Path) -> DiskError | None:
    """SQLite's "attempt to write a readonly database" and "database or disk is full" are
    plain; "unable to open database file" and "disk I/O error" (it could not create its
    ``-shm`` and ``-wal`` files beside the outbox) also have other causes, so those are
    judged by the folder itself: not writable, or without room for one more WAL cycle."""
    code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
    text = str(exc).lower()
    if code == _FULL or "disk is full" in text:
        return disk.refusal("full", folder)
    if code == _READONLY or "readonly database" in text:
        return disk.refusal("read_only", folder)
    if code in (_CANTOPEN, _IOERR) or "unable to open" in text or "disk i/o error" in text:
        if not disk.writable(folder):
            return disk.refusal("read_only", folder)
        if disk.free_bytes(folder) < disk.WAL_HEADROOM:
            return disk.refusal("full", folder)
    return None


def _translate(exc: sqlite3.Error, path: Path) -> MeteraiError:
    return refusal(exc, path) or StoreError(detail=str(exc))


def open_connection(
    path: Path,
    *,
    max_version: int | None = None,
    check_integrity: bool = True,
    before_writes: Callable[[sqlite3.Connection], None] | None = None,
) -> sqlite3.Connection:
    """Open ``path`` with the pragmas we rely on, read back, or raise a ``StoreError``.

    Everything that can refuse the file (header, schema too new, integrity, and the
    caller's ``before_writes`` check) runs before the first pragma that writes, so a
    refused file is left byte-for-byte untouched.
    """
    # The file is never opened with plain open(): on POSIX, closing ANY descriptor of a
    # file drops every lock this process's SQLite connections hold on it, and another
    # process may then delete the WAL under a live connection. SQLite itself refuses a
    # file that is not a database, before anything is written.
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(
            path,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000,
            factory=OutboxConnection,
        )
    except sqlite3.Error as exc:
        raise _translate(exc, path) from exc
    conn.path = path
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if max_version is not None and version > max_version:
            raise MigrationError(path=str(path), found=version, known=max_version)
        if check_integrity:
            _integrity_check(conn, path)
        if before_writes is not None:
            before_writes(conn)
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


def open_read_only(path: Path) -> sqlite3.Connection:
    """Read ``path`` where nothing may be written (a read-only folder, a full disk).

    ``mode=ro`` still needs the ``-shm`` file beside a WAL database, which such a folder
    cannot give. ``immutable=1`` needs nothing, but it would not see a ``-wal`` file's
    committed transactions, so it is used only when there is none (a clean close
    checkpoints and deletes it): the view is then the whole truth.
    """
    try:
        return _checked(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True))
    except sqlite3.Error as exc:
        wal = path.with_name(path.name + "-wal")
        if not path.is_file() or (wal.exists() and wal.stat().st_size > 0):
            raise _translate(exc, path) from exc
    try:
        return _checked(sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True))
    except sqlite3.Error as exc:
        raise _translate(exc, path) from exc


def _checked(conn: sqlite3.Connection) -> sqlite3.Connection:
    """SQLite opens lazily: the first read says whether the file can be read at all."""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
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
    """SQLite's full check, unless the file is exactly as the last clean check left it.

    The full check reads every page (1.3 s for 100,000 requests), and ``status`` or the
    GUI on an outbox nobody wrote since would pay it on every start. Any write through
    the file system (SQLite's, a crash's recovery, a tool's, a test's) changes the
    file's or its WAL's size or change time (``st_ctime_ns``, which no one can set back),
    so a matching memo means the same bytes that passed; a mismatch, or no memo, means
    the full check.
    """
    memo = _memo_path(path)
    state = _file_state(path)
    with contextlib.suppress(OSError):
        if memo.read_text() == state:
            return
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if rows != ["ok"]:  # the memo, if any, names other bytes: left as it is, like the file
        first = str(rows[0]).splitlines()[0] if rows else "integrity check failed"
        raise StoreCorrupt(path=str(path), detail=first[:120])
    with contextlib.suppress(OSError):  # only a cache: a read-only folder checks each time
        memo.write_text(state)


def _memo_path(path: Path) -> Path:
    return path.with_name(path.name + ".checked")


def _file_state(path: Path) -> str:
    """Who the database file and its WAL are and when they last changed, as one line.

    An empty WAL holds nothing (each connection's open makes a new one): it counts as none.
    """
    parts = []
    for file in (path, path.with_name(path.name + "-wal")):
        try:
            st = file.stat()
        except FileNotFoundError:
            parts.append("-")
            continue
        empty = st.st_size == 0 and file != path
        parts.append(
            "-"
            if empty
            else f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"
        )
    return " ".join(parts)


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
        if _is_busy(exc):
            raise StoreLocked(path="outbox") from exc
        raise _translate(exc, _file_of(conn)) from exc
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        refused = (
            disk_refusal(exc, _file_of(conn).parent) if isinstance(exc, sqlite3.Error) else None
        )
        if refused is not None:
            raise refused from exc  # rolled back: nothing of the transaction was kept
        raise
    _committed(conn)


def _file_of(conn: sqlite3.Connection) -> Path:
    return Path(conn.execute("PRAGMA database_list").fetchone()[2])
