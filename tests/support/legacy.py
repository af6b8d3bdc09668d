"""Outbox files as older releases left them, for the migrations to carry forward."""

from __future__ import annotations

from meterai.outbox.db import open_connection
from meterai.outbox.migrations import migrate, schema_version
from meterai.settings import Paths


def outbox_at_version(paths: Paths, version: int, *, state: str, sha256: str) -> None:
    """An outbox at schema ``version`` holding one request in ``state`` for ``old.pdf``.

    Written in SQL because the current code only writes the current schema.
    """
    conn = open_connection(paths.database)
    try:
        migrate(conn, paths.database, target=version)
        assert schema_version(conn) == version
        conn.execute(
            "INSERT INTO documents (sha256, size, page_count, pdf_version, original_name, fixes,"
            " added_at) VALUES (?, 1, 1, '1.7', 'old.pdf', '[]', 0)",
            [sha256],
        )
        conn.execute(
            "INSERT INTO requests (state, doc_sha256, file_name, doc_type, page_index, rect_x1,"
            " rect_y1, rect_x2, rect_y2, created_at, updated_at, attempts)"
            " VALUES (?, ?, 'old.pdf', '3', 0, 1, 2, 3, 4, 0, 0, 0)",
            [state, sha256],
        )
    finally:
        conn.close()
