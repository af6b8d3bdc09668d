"""Which request each dropped file's bytes became.

The outbox knows a request by the sha256 of the bytes it stores, and those are the
*fixed* bytes when intake had to normalise or repair a document. Dropping the same
unfixed file again would then not be recognised by ``Outbox.find_by_sha`` and would
buy a second stamp. This index maps the dropped bytes to the request. It is written
after the request commits; a crash in between is caught by the staged file's unique
path (see ``taking``). It lives in its own SQLite file because the outbox schema is
not the kiosk's to change (a ``documents.original_sha256`` column would be better).
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
