"""The full integrity check is skipped only for the very bytes that last passed it."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from meterai.errors import StoreCorrupt
from meterai.outbox import NewRequest, Outbox
from meterai.outbox import db as outbox_db
from meterai.settings import Paths, resolve_paths

SHA = "ab" * 32


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return resolve_paths(tmp_path / "data")


def _fill(paths: Paths, count: int) -> None:
    box = Outbox.open(paths)
    box.add_document(SHA, size=1, page_count=1, pdf_version="1.7", original_name="x.pdf")
    for _ in range(count):
        box.enqueue(NewRequest(SHA, "cv.pdf", "3", 0, (400, 40, 472, 112)))
    box.close()


def _checks_run(paths: Paths, monkeypatch: pytest.MonkeyPatch) -> int:
    """Open and close the outbox; how many times SQLite's full check ran."""
    seen: list[str] = []
    real = outbox_db.OutboxConnection.execute

    def execute(self: sqlite3.Connection, sql: str, *args: object) -> sqlite3.Cursor:
        seen.append(sql)
        return real(self, sql, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(outbox_db.OutboxConnection, "execute", execute)
    Outbox.open(paths).close()
    monkeypatch.undo()
    return sum("integrity_check" in sql for sql in seen)


def test_an_unchanged_outbox_is_not_checked_again(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(paths, 3)
    assert _checks_run(paths, monkeypatch) == 1  # written since the last check
    assert _checks_run(paths, monkeypatch) == 0  # the same bytes that just passed


def test_a_write_since_the_check_brings_the_check_back(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(paths, 3)
    _checks_run(paths, monkeypatch)
    _fill(paths, 1)
    assert _checks_run(paths, monkeypatch) == 1


def test_damage_after_a_clean_check_is_refused_even_with_the_old_times(paths: Paths) -> None:
    _fill(paths, 300)
    Outbox.open(paths).close()  # passes, and leaves its memo
    before = paths.database.stat()
    data = bytearray(paths.database.read_bytes())
    page = 4096
    for offset in range(page * 2, len(data) - page, page):
        data[offset + 10 : offset + 200] = b"\xff" * 190
    paths.database.write_bytes(bytes(data))  # same size
    os.utime(paths.database, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(StoreCorrupt):
        Outbox.open(paths)
