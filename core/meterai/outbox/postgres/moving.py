"""``meterai outbox migrate --to postgresql://...``: one counter's SQLite outbox moves to
the shared database in one transaction, and the SQLite file is left untouched.

Everything moves: documents (their bytes too, so any counter can upload them), requests
with their ids, tags and serial numbers, the journal, the serial-number table (orphans
included), the cached provider data, the stamped results already downloaded, and the
install id (every request's purchase tag carries it; reconciliation by tag must still
recognise them). A request that was in ``numbering`` stays there: the first counter to
claim it reconciles it by its tag before anything is bought.

The target must be empty of requests: two outboxes are never merged blindly (their
request ids would collide and one install id would be lost).
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from meterai.errors import InputError
from meterai.i18n import N_
from meterai.outbox.db import open_connection, open_read_only
from meterai.outbox.migrations import LATEST as SQLITE_LATEST
from meterai.outbox.migrations import migrate as migrate_sqlite
from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.connect import connect, translate
from meterai.outbox.postgres.schema import migrate
from meterai.settings import Paths

# Copied in this order (foreign keys); the columns are those both schemas have.
TABLES = ("documents", "requests", "journal", "serials", "provider_cache")
_WITH_IDS = ("requests", "journal")


class TargetNotEmpty(InputError):
    code = "database_not_empty"
    template = N_(
        "The shared database {where} already holds {count} requests. An outbox is moved "
        "only into an empty database; nothing was changed."
    )


class DocumentMissing(InputError):
    code = "document_missing"
    template = N_(
        "Request {request_id} needs the document {sha256}, which is missing from {folder}. "
        "Nothing was moved; restore the folder from a backup and try again."
    )


@dataclass(frozen=True)
class MoveReport:
    """How many rows of each table were moved (and document bytes, results)."""

    rows: dict[str, int]
    documents_bytes: int
    results: int


def move_outbox(paths: Paths, url: DatabaseUrl, *, counter: str) -> MoveReport:
    """Copy the data folder's outbox into the empty database at ``url`` (one transaction)."""
    with _sqlite_snapshot(paths) as source, connect(url) as target:
        migrate(target, str(url))
        try:
            with target.transaction():
                return _copy(source, target, paths, url, counter)
        except psycopg.Error as exc:
            raise translate(exc, url) from exc


@contextlib.contextmanager
def _sqlite_snapshot(paths: Paths) -> Iterator[sqlite3.Connection]:
    """The outbox as it is, read only; an older schema is brought up to date in a copy."""
    conn = open_read_only(paths.database)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version == SQLITE_LATEST:
            conn.execute("BEGIN")  # one snapshot for every table read
            yield conn
            return
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / "outbox.sqlite3"
            with contextlib.closing(sqlite3.connect(copy)) as out:
                conn.backup(out)
            upgraded = open_connection(copy, max_version=SQLITE_LATEST, check_integrity=False)
            try:
                migrate_sqlite(upgraded, copy)
                yield upgraded
            finally:
                upgraded.close()
    finally:
        conn.close()


def _copy(
    source: sqlite3.Connection,
    target: psycopg.Connection[Any],
    paths: Paths,
    url: DatabaseUrl,
    counter: str,
) -> MoveReport:
    held = target.execute("SELECT count(*) FROM requests").fetchone()
    if held and held[0]:
        raise TargetNotEmpty(where=str(url), count=int(held[0]))
    rows = {table: _copy_table(source, target, table) for table in TABLES}
    for table in _WITH_IDS:  # the next id continues after the moved ones
        target.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" greatest((SELECT max(id) FROM {table}), 1))"
        )
    target.execute("UPDATE requests SET counter = %s WHERE counter IS NULL", [counter])
    install_id = source.execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()
    target.execute("UPDATE meta SET value = %s WHERE key = 'install_id'", [str(install_id[0])])
    size = _copy_document_bytes(source, target, paths)
    results = _copy_results(source, target, paths)
    return MoveReport(rows=rows, documents_bytes=size, results=results)


def _columns(source: sqlite3.Connection, target: psycopg.Connection[Any], table: str) -> list[str]:
    mine = [str(r[1]) for r in source.execute(f"PRAGMA table_info({table})")]
    theirs = {
        str(r[0])
        for r in target.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s",
            [table],
        )
    }
    return [c for c in mine if c in theirs]


def _copy_table(source: sqlite3.Connection, target: psycopg.Connection[Any], table: str) -> int:
    columns = _columns(source, target, table)
    names = ", ".join(columns)
    rows = source.execute(f"SELECT {names} FROM {table} ORDER BY rowid").fetchall()
    with target.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(tuple(row))
    return len(rows)


def _copy_document_bytes(
    source: sqlite3.Connection, target: psycopg.Connection[Any], paths: Paths
) -> int:
    total = 0
    needed = source.execute(
        "SELECT d.sha256, min(r.id) FROM documents d LEFT JOIN requests r"
        " ON r.doc_sha256 = d.sha256 GROUP BY d.sha256 ORDER BY d.sha256"
    ).fetchall()
    for sha256, request_id in needed:
        path = paths.docs_dir / f"{sha256}.pdf"
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            if request_id is None:
                continue  # a document no request uses: nothing depends on its bytes
            raise DocumentMissing(
                request_id=request_id, sha256=sha256, folder=str(paths.docs_dir)
            ) from None
        target.execute(
            "INSERT INTO document_bytes (sha256, content) VALUES (%s, %s)", [sha256, content]
        )
        total += len(content)
    return total


def _copy_results(source: sqlite3.Connection, target: psycopg.Connection[Any], paths: Paths) -> int:
    """Stamped files already downloaded (and kept), so the owning counter can export them."""
    import hashlib

    moved = 0
    rows = source.execute(
        "SELECT id, stamped_path FROM requests WHERE stamped_path IS NOT NULL"
        " AND state IN ('downloaded', 'verified', 'done')"
    ).fetchall()
    for request_id, stamped_path in rows:
        path = Path(stamped_path)
        if not path.is_absolute():
            path = paths.stamped_dir / path
        if not path.is_file():
            continue  # downloaded again by whichever counter verifies it
        content = path.read_bytes()
        target.execute(
            "INSERT INTO results (request_id, sha256, content) VALUES (%s, %s, %s)",
            [request_id, hashlib.sha256(content).hexdigest(), content],
        )
        moved += 1
    return moved
