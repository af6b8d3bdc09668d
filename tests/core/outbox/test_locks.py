"""Escaped bug (found by the kiosk tests): opening the outbox a second time in one process
read the file header with plain open()/close(), which on POSIX drops every SQLite lock the
process holds on the file; another process closing its connection then deleted the WAL
under the live one, and committed requests were lost."""

from __future__ import annotations

import subprocess
import sys

from meterai.outbox import NewRequest, Outbox
from meterai.settings import Paths

SHA = "12" * 32


def _new() -> NewRequest:
    return NewRequest(
        doc_sha256=SHA, file_name="a.pdf", doc_type="3", page_index=0, rect=(0, 0, 72, 72)
    )


def test_a_second_open_keeps_the_first_connections_locks(paths: Paths) -> None:
    first = Outbox.open(paths)
    first.conn.execute("PRAGMA wal_autocheckpoint = 0")
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
