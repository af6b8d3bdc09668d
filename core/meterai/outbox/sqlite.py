"""The embedded backend: the outbox in one SQLite file in the user's data folder.

Opening is where the file's safety lives (``guard``: a lost outbox is refused, never
taken as new; ``db``: pragmas checked, integrity checked; ``migrations``; the rolling
``backup`` schedule), so every entry point (CLI, runner, GUI, kiosk) opens through
``open_file`` and refuses a damaged or lost outbox the same way.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from meterai.errors import StoreError
from meterai.fsutil import make_dirs, sweep_temp_files
from meterai.outbox import db
from meterai.outbox.backend import Params, Row
from meterai.outbox.backup import BackupSchedule, schedule_for
from meterai.outbox.guard import keep_install_id, refuse_if_lost, refuse_if_unformatted
from meterai.outbox.migrations import LATEST, migrate
from meterai.settings import Paths


class SqliteBackend:
    """One SQLite connection (one per thread): the ``Backend`` the verbs run on."""

    for_update = ""  # BEGIN IMMEDIATE already holds the only write lock

    def __init__(
        self, conn: sqlite3.Connection, path: Path, backups: BackupSchedule | None = None
    ) -> None:
        self.conn = conn
        self.path = path
        self.location = str(path)
        self._backups = backups

    @contextlib.contextmanager
    def atomic(self, *, one_request: bool = False) -> Iterator[None]:
        with db.atomic(self.conn):
            yield

    def one(self, sql: str, params: Params = ()) -> Row | None:
        with self._refusals():
            cursor = self.conn.execute(sql, params)
            try:
                row = cursor.fetchone()
            finally:
                cursor.close()
        return None if row is None else dict(row)

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        with self._refusals():
            return [dict(r) for r in self.conn.execute(sql, params)]

    def run(self, sql: str, params: Params = ()) -> int:
        with self._refusals():
            return self.conn.execute(sql, params).rowcount

    def close(self) -> None:
        """Close, taking the backup a burst of changes left pending (the end of a run)."""
        if self._backups is not None:
            self._backups.flush()
        self.conn.close()

    @contextlib.contextmanager
    def _refusals(self) -> Iterator[None]:
        """The database refusing becomes its ``MeteraiError``; a bug stays itself."""
        try:
            yield
        except sqlite3.Error as exc:
            refused = db.refusal(exc, self.path)
            if refused is None:
                raise
            raise refused from exc


def open_file(paths: Paths, *, check_integrity: bool = True) -> SqliteBackend:
    """Open (or create) the data folder's outbox file, refusing a lost or damaged one."""
    refuse_if_lost(paths)
    make_dirs(paths.data_dir)
    conn = db.open_connection(
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
    return SqliteBackend(conn, paths.database, schedule_for(paths))


def open_read_only(paths: Paths) -> SqliteBackend:
    """For reading only, when the disk refuses writes; its schema must be current."""
    refuse_if_lost(paths)
    conn = db.open_read_only(paths.database)
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version != LATEST:
        conn.close()
        raise StoreError(detail=f"{paths.database}: schema {version}, not {LATEST}")
    return SqliteBackend(conn, paths.database)
