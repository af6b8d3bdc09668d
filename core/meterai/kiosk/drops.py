"""Which request each dropped file's bytes became, for requests the outbox cannot tell.

The outbox now keeps the sha256 of the bytes the user gave (``requests.original_sha256``,
schema 5) and ``Outbox.find_by_original`` finds a dropped file again even when intake
had to fix it. Requests queued before that migration only carry the hash of their
*fixed* copy; for those this index, written after each request commits, still maps
the dropped bytes to the request. It can go once no kiosk has such requests left.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


class DropIndex:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=5.0)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS drops ("
            "sha256 TEXT PRIMARY KEY, request_id INTEGER NOT NULL, at REAL NOT NULL)"
        )

    def request_for(self, sha256: str) -> int | None:
        row = self.conn.execute(
            "SELECT request_id FROM drops WHERE sha256 = ?", [sha256]
        ).fetchone()
        return None if row is None else int(row[0])

    def remember(self, sha256: str, request_id: int) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO drops (sha256, request_id, at) VALUES (?, ?, ?)",
            [sha256, request_id, time.time()],
        )

    def close(self) -> None:
        self.conn.close()
