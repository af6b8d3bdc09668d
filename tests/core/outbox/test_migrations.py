"""The schema moves forward one recorded step at a time, and a newer one is left alone."""

from __future__ import annotations

import sqlite3

import pytest

from meterai.errors import MigrationError
from meterai.outbox import Outbox, State
from meterai.outbox.migrations import LATEST, MIGRATIONS, schema_version
from meterai.settings import Paths
from tests.support.legacy import outbox_at_version

SHA = "ab" * 32


def test_migrates_forward_from_version_1(paths: Paths) -> None:
    outbox_at_version(paths, 1, state="queued", sha256=SHA)
    box = Outbox.open(paths)
    assert schema_version(box.backend.conn) == LATEST == len(MIGRATIONS)
    (row,) = box.requests()
    assert (row.file_name, row.state, row.customer) == ("old.pdf", State.QUEUED, None)
    with pytest.raises(sqlite3.IntegrityError):
        box.backend.conn.execute("UPDATE requests SET doc_type = 'x'")


def test_newer_schema_is_refused_untouched(paths: Paths) -> None:
    Outbox.open(paths).close()
    conn = sqlite3.connect(paths.database)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    before = paths.database.read_bytes()
    with pytest.raises(MigrationError) as info:
        Outbox.open(paths)
    assert "newer" in str(info.value)
    assert paths.database.read_bytes() == before
