"""Issue 14, item 2: rolling, checked backups of the outbox, one per burst of changes."""

from __future__ import annotations

import sqlite3
import time

import pytest

from meterai.outbox import NewRequest, Outbox
from meterai.outbox.backup import BackupSchedule, generations, take_backup
from meterai.settings import Paths

SHA = "ab" * 32


def _queue(box: Outbox, name: str = "a.pdf") -> int:
    box.add_document(SHA, size=1, page_count=1, pdf_version="1.7", original_name=name)
    row = box.enqueue(
        NewRequest(doc_sha256=SHA, file_name=name, doc_type="3", page_index=0, rect=(0, 0, 9, 9))
    )
    return row.id


def test_backups_keep_three_checked_generations(paths: Paths) -> None:
    box = Outbox.open(paths)
    for i in range(5):
        _queue(box, f"{i}.pdf")
        take_backup(paths.database, paths.backups_dir)
    box.close()
    kept = generations(paths.backups_dir)
    assert len(kept) == 3
    assert sorted(p.name for p in paths.backups_dir.iterdir()) == sorted(g.path.name for g in kept)
    newest = sqlite3.connect(kept[0].path)
    assert newest.execute("SELECT count(*) FROM requests").fetchone()[0] == 5
    assert newest.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one whole file
    newest.close()


def test_a_burst_of_changes_is_one_backup_after_the_delay(paths: Paths) -> None:
    box = Outbox.open(paths)
    schedule = BackupSchedule(paths.database, paths.backups_dir, delay=0.3)
    box.backend._backups = schedule
    from meterai.outbox import backup

    backup._schedules[paths.database] = schedule
    for i in range(20):
        _queue(box, f"{i}.pdf")
    assert schedule.taken == 0  # not one per transition
    deadline = time.monotonic() + 10
    while schedule.taken == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert schedule.taken == 1
    _queue(box, "late.pdf")
    box.close()  # the end of a run takes the pending one at once
    assert schedule.taken == 2
    newest = sqlite3.connect(generations(paths.backups_dir)[0].path)
    assert newest.execute("SELECT count(*) FROM requests").fetchone()[0] == 21
    newest.close()


def test_reading_the_outbox_takes_no_backup(paths: Paths) -> None:
    box = Outbox.open(paths)
    _queue(box)
    box.close()
    taken = len(generations(paths.backups_dir))
    box = Outbox.open(paths)
    box.requests()
    box.close()
    assert len(generations(paths.backups_dir)) == taken


def test_a_backup_never_creates_a_missing_outbox(paths: Paths) -> None:
    paths.data_dir.mkdir(parents=True)
    with pytest.raises(sqlite3.OperationalError):
        take_backup(paths.database, paths.backups_dir)
    assert not paths.database.exists()
    assert not list(paths.backups_dir.iterdir())
