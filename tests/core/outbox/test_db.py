"""The SQLite connection: its pragmas, a damaged page, a lock held by another process."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from meterai.errors import StoreCorrupt, StoreLocked
from meterai.outbox import NewRequest, Outbox
from meterai.outbox.db import read_pragmas
from meterai.settings import Paths

SHA = "ab" * 32


def _new(**overrides: object) -> NewRequest:
    base: dict[str, object] = dict(
        doc_sha256=SHA, file_name="cv.pdf", doc_type="3", page_index=0, rect=(400, 40, 472, 112)
    )
    base.update(overrides)
    return NewRequest(**base)  # type: ignore[arg-type]


@pytest.fixture
def outbox(paths: Paths) -> Outbox:
    box = Outbox.open(paths)
    box.add_document(SHA, size=10, page_count=1, pdf_version="1.7", original_name="cv.pdf")
    return box


def test_pragmas_are_read_back(outbox: Outbox) -> None:
    assert read_pragmas(outbox.backend.conn) == {
        "journal_mode": "wal",
        "synchronous": 2,
        "busy_timeout": 5000,
    }


def test_damaged_pages_are_refused(paths: Paths) -> None:
    box = Outbox.open(paths)
    box.add_document(SHA, size=1, page_count=1, pdf_version="1.7", original_name="x")
    for _ in range(300):
        box.enqueue(_new())
    box.backend.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    box.close()
    data = bytearray(paths.database.read_bytes())
    page = 4096
    for offset in range(page * 2, len(data) - page, page):
        data[offset + 10 : offset + 200] = b"\xff" * 190
    paths.database.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupt):
        Outbox.open(paths)


def test_locked_database_gives_a_clear_error(paths: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    box = Outbox.open(paths)  # type: ignore[arg-type]
    blocker = sqlite3.connect(paths.database, isolation_level=None, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr("meterai.outbox.db.BUSY_TIMEOUT_MS", 50)
    box.backend.conn.execute("PRAGMA busy_timeout = 50")
    with pytest.raises(StoreLocked):
        box.enqueue(_new())
    blocker.execute("ROLLBACK")
    blocker.close()
