"""The SQLite backend keeps the ``Backend`` contract the verbs rely on (outbox/backend.py)."""

from __future__ import annotations

import sqlite3

import pytest

from meterai.errors import StoreLocked
from meterai.outbox import Outbox
from meterai.settings import Paths


def test_rows_are_read_by_name_and_new_ids_come_back_from_returning(paths: Paths) -> None:
    box = Outbox.open(paths)
    try:
        db = box.backend
        with db.atomic():
            db.run("INSERT INTO meta (key, value) VALUES (?, ?)", ["probe", "1"])
            inserted = db.one(
                "INSERT INTO meta (key, value) VALUES (?, ?) RETURNING key", ["b", "2"]
            )
        assert inserted == {"key": "b"}
        assert db.all(
            "SELECT key, value FROM meta WHERE key IN (?, ?) ORDER BY key", ["b", "probe"]
        ) == [
            {"key": "b", "value": "2"},
            {"key": "probe", "value": "1"},
        ]
        assert db.one("SELECT value FROM meta WHERE key = ?", ["none"]) is None
    finally:
        box.close()


def test_atomic_rolls_back_everything_inside_it(paths: Paths) -> None:
    box = Outbox.open(paths)
    try:
        with pytest.raises(RuntimeError), box.atomic():
            box.backend.run("INSERT INTO meta (key, value) VALUES ('gone', '1')")
            with box.atomic():  # a savepoint inside the transaction
                box.backend.run("INSERT INTO meta (key, value) VALUES ('gone too', '1')")
            raise RuntimeError("a bug half-way through")
        assert box.backend.all("SELECT key FROM meta WHERE key LIKE 'gone%'") == []
    finally:
        box.close()


def test_a_bug_keeps_the_drivers_exception_and_a_refusal_is_ours(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad SQL is a bug (its traceback is kept); the database refusing is a message."""
    box = Outbox.open(paths)
    blocker = sqlite3.connect(paths.database, isolation_level=None, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            box.backend.one("SELECT * FROM no_such_table")
        blocker.execute("BEGIN EXCLUSIVE")
        monkeypatch.setattr("meterai.outbox.db.BUSY_TIMEOUT_MS", 50)
        box.backend.run("PRAGMA busy_timeout = 50")
        with pytest.raises(StoreLocked):
            box.backend.run("INSERT INTO meta (key, value) VALUES ('late', '1')")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        box.close()
