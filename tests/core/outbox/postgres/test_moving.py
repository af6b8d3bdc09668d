"""``meterai outbox migrate --to``: every row moves, in one transaction; SQLite untouched."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from meterai.outbox import Outbox, State
from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.connect import connect
from meterai.outbox.postgres.moving import TABLES, TargetNotEmpty, move_outbox
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, resolve_paths
from tests.support.sandbox import drain, point_at, queue_documents

ORPHAN = "ORPHAN0000000000000001"


@pytest.fixture
def counter_outbox(tmp_path: Path, sandbox: SandboxServer) -> Paths:
    """A counter's outbox as a day leaves it: stamped and exported requests, one waiting,
    one whose paid call was sent (``numbering``), and an orphan serial number."""
    paths = resolve_paths(tmp_path / "counter-1")
    point_at(paths, sandbox)
    queue_documents(paths, 3, tmp_path / "morning")
    drain(paths)
    waiting, buying = queue_documents(paths, 2, tmp_path / "afternoon")
    box = Outbox.open(paths)
    try:
        box.transition(buying, State.UPLOADED, provider_file_id="f-9")
        box.transition(buying, State.NUMBERING, detail="buying a serial number")
        box.record_orphan(ORPHAN, None)
        assert box.get(waiting).state == State.QUEUED
    finally:
        box.close()
    return paths


def _sqlite_rows(paths: Paths, table: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(paths.database)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]
    finally:
        conn.close()


def _pg_rows(url: DatabaseUrl, table: str, columns: list[str]) -> list[dict[str, Any]]:
    order = "id" if table in ("requests", "journal") else columns[0]
    with connect(url) as conn:
        cur = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
        return [dict(zip(columns, r, strict=True)) for r in cur]


def test_every_row_moves_and_the_sqlite_file_is_untouched(
    counter_outbox: Paths, pg_url: str
) -> None:
    url = DatabaseUrl.parse(pg_url)
    before = hashlib.sha256(counter_outbox.database.read_bytes()).hexdigest()

    report = move_outbox(counter_outbox, url, counter="loket-1")

    assert hashlib.sha256(counter_outbox.database.read_bytes()).hexdigest() == before
    for table in TABLES:
        source = _sqlite_rows(counter_outbox, table)
        if table != "journal":
            source.sort(key=lambda r: tuple(str(v) for v in r.values()))
        moved = _pg_rows(url, table, list(source[0]))
        if table != "journal":
            moved.sort(key=lambda r: tuple(str(v) for v in r.values()))
        assert moved == source, table
        assert report.rows[table] == len(source) > 0
    with connect(url) as conn:
        states = dict(conn.execute("SELECT state, count(*) FROM requests GROUP BY state"))
        owners = conn.execute("SELECT DISTINCT counter FROM requests").fetchall()
        orphan = conn.execute("SELECT request_id FROM serials WHERE sn = %s", [ORPHAN]).fetchone()
        docs = conn.execute("SELECT sha256, content FROM document_bytes").fetchall()
        results = conn.execute("SELECT count(*) FROM results").fetchone()
        install = conn.execute("SELECT value FROM meta WHERE key = 'install_id'").fetchone()
    assert states == {"done": 3, "queued": 1, "numbering": 1}
    assert owners == [("loket-1",)]
    assert orphan == (None,)
    assert len(docs) == 5
    for sha256, content in docs:
        assert hashlib.sha256(content).hexdigest() == sha256
        assert (counter_outbox.docs_dir / f"{sha256}.pdf").read_bytes() == content
    assert results == (3,) == (report.results,)
    assert install is not None
    assert install[0] == (counter_outbox.install_id_file.read_text().strip())


def test_new_requests_continue_after_the_moved_ids(counter_outbox: Paths, pg_url: str) -> None:
    url = DatabaseUrl.parse(pg_url)
    move_outbox(counter_outbox, url, counter="loket-1")
    with connect(url) as conn:
        conn.execute("INSERT INTO documents (sha256) VALUES ('x')")
        new = conn.execute(
            "INSERT INTO requests (state, doc_sha256, created_at, updated_at)"
            " VALUES ('queued', 'x', 0, 0) RETURNING id"
        ).fetchone()
    assert new == (6,)


def test_a_database_that_holds_requests_is_refused_and_unchanged(
    counter_outbox: Paths, pg_url: str
) -> None:
    url = DatabaseUrl.parse(pg_url)
    move_outbox(counter_outbox, url, counter="loket-1")
    with pytest.raises(TargetNotEmpty):
        move_outbox(counter_outbox, url, counter="loket-2")
    with connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM requests").fetchone() == (5,)
        assert conn.execute("SELECT DISTINCT counter FROM requests").fetchall() == [("loket-1",)]
