"""Escaped bugs found by the kiosk tests, both about several connections to one file.

Opening the outbox a second time in one process read the file header with plain
open()/close(), which on POSIX drops every SQLite lock the process holds on the file;
another process closing its connection then deleted the WAL under the live one, and
committed requests were lost. And connections opening a new database together could be
refused the switch to WAL at once ("database is locked"), which stopped a sync runner."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from meterai.errors import StoreError
from meterai.outbox import NewRequest, Outbox
from meterai.outbox.db import open_connection, read_pragmas
from meterai.settings import Paths

SHA = "12" * 32


def _new() -> NewRequest:
    return NewRequest(
        doc_sha256=SHA, file_name="a.pdf", doc_type="3", page_index=0, rect=(0, 0, 72, 72)
    )


def test_a_second_open_keeps_the_first_connections_locks(paths: Paths) -> None:
    first = Outbox.open(paths)
    first.backend.conn.execute("PRAGMA wal_autocheckpoint = 0")
    first.add_document(SHA, size=1, page_count=1, pdf_version="1.7", original_name="a")
    for _ in range(20):
        first.enqueue(_new())
    second = Outbox.open(paths)  # the GUI's db thread and the sync runner's threads do this
    other_process = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        " c.execute('select count(*) from requests').fetchone(); c.close()"
    )
    subprocess.run([sys.executable, "-c", other_process, str(paths.database)], check=True)
    wal = paths.database.with_name(paths.database.name + "-wal")
    # Only a process that believes it is the last user deletes the WAL on close.
    assert wal.exists(), "another process deleted the WAL under our live connections"
    for _ in range(5):
        first.enqueue(_new())
    assert first.count() == second.count() == 25
    second.close()
    first.close()
    reopened = Outbox.open(paths)
    assert reopened.count() == 25
    reopened.close()


def test_connections_opening_a_new_database_together_all_get_wal(tmp_path: Path) -> None:
    refused: list[StoreError] = []
    modes: list[object] = []

    def open_at_once(path: Path, start: threading.Barrier) -> None:
        start.wait()
        try:
            conn = open_connection(path)
        except StoreError as exc:
            refused.append(exc)
            return
        modes.append(read_pragmas(conn)["journal_mode"])
        conn.close()

    for round_ in range(150):
        start = threading.Barrier(3)
        path = tmp_path / f"outbox-{round_}.sqlite3"
        threads = [threading.Thread(target=open_at_once, args=(path, start)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert refused == []
    assert modes == ["wal"] * 450
