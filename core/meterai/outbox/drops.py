"""Which request each dropped kiosk file's bytes became, for requests the outbox cannot tell.

The outbox now keeps the sha256 of the bytes the user gave (``requests.original_sha256``,
schema 5) and ``Outbox.find_by_original`` finds a dropped file again even when intake
had to fix it. Requests queued before that migration only carry the hash of their
*fixed* copy; for those this index, written after each request commits, still maps
the dropped bytes to the request. It can go once no kiosk has such requests left.

It is a small SQLite file of its own beside the outbox (``kiosk.sqlite3``), local to
the kiosk's machine whatever backend the outbox uses, so it lives here with the other
SQLite code.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


class DropIndex:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, timeout=5.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS drops ("
            "sha256 TEXT PRIMARY KEY, request_id INTEGER NOT NULL, at REAL NOT NULL)"
        )

    def request_for(self, sha256: str) -> int | None:
        row = self._db.execute("SELECT request_id FROM drops WHERE sha256 = ?", [sha256]).fetchone()
        return None if row is None else int(row[0])

    def remember(self, sha256: str, request_id: int) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO drops (sha256, request_id, at) VALUES (?, ?, ?)",
            [sha256, request_id, time.time()],
        )

    def close(self) -> None:
        self._db.close()
