"""Issue 14, item 2: an outbox that is missing, empty or unreadable beside stored documents is
refused, never taken as a new empty one; the install id survives a rebuild; rolling backups
and the restore from the newest good one."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from meterai.errors import StoreCorrupt
from meterai.outbox import NewRequest, Outbox
from meterai.outbox.backup import BackupSchedule, generations, take_backup
from meterai.outbox.guard import OutboxLost, read_install_id
from meterai.outbox.restore import NothingToRestore, NoUsableBackup, restore_newest_backup
from meterai.settings import Paths

SHA = "ab" * 32


def _queue(box: Outbox, name: str = "a.pdf") -> int:
    box.add_document(SHA, size=1, page_count=1, pdf_version="1.7", original_name=name)
    row = box.enqueue(
        NewRequest(doc_sha256=SHA, file_name=name, doc_type="3", page_index=0, rect=(0, 0, 9, 9))
    )
    return row.id


def _outbox_with_documents(paths: Paths, requests: int = 2) -> list[int]:
    box = Outbox.open(paths)
    ids = [_queue(box, f"{i}.pdf") for i in range(requests)]
    box.close()
    paths.docs_dir.mkdir(parents=True, exist_ok=True)
    (paths.docs_dir / f"{SHA}.pdf").write_bytes(b"%PDF-1.7\n")
    return ids


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _wipe_logs(database: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


# --- refused, never re-initialised ---------------------------------------------------------


def test_a_zero_byte_outbox_beside_documents_is_refused_and_left_empty(paths: Paths) -> None:
    """The defect: a 0-byte file was opened as a new outbox ("The outbox is empty")."""
    _outbox_with_documents(paths)
    paths.database.write_bytes(b"")
    _wipe_logs(paths.database)
    before = _files(paths.data_dir)
    with pytest.raises(OutboxLost) as info:
        Outbox.open(paths)
    assert "recover --restore" in str(info.value) and "empty" in str(info.value)
    assert str(paths.docs_dir) in str(info.value)
    assert _files(paths.data_dir) == before  # not re-initialised: still 0 bytes, no -wal


def test_a_missing_outbox_beside_documents_is_refused_and_not_created(paths: Paths) -> None:
    _outbox_with_documents(paths)
    paths.database.unlink()
    _wipe_logs(paths.database)
    with pytest.raises(OutboxLost) as info:
        Outbox.open(paths, check_integrity=False)  # the runner's and kiosk's way in
    assert "missing" in str(info.value)
    assert not paths.database.exists()


def test_a_stamped_file_alone_is_evidence_too(paths: Paths) -> None:
    paths.stamped_dir.mkdir(parents=True)
    (paths.stamped_dir / "7.pdf").write_bytes(b"%PDF-1.7\n")
    with pytest.raises(OutboxLost):
        Outbox.open(paths)


def test_a_database_without_schema_beside_documents_is_refused(paths: Paths) -> None:
    _outbox_with_documents(paths)
    paths.database.unlink()
    _wipe_logs(paths.database)
    sqlite3.connect(paths.database).execute("CREATE TABLE other (x)").connection.close()
    before = paths.database.read_bytes()
    with pytest.raises(OutboxLost):
        Outbox.open(paths)
    assert paths.database.read_bytes() == before


def test_a_garbage_outbox_names_the_restore_command(paths: Paths) -> None:
    _outbox_with_documents(paths)
    paths.database.write_bytes(b"not a database at all\n" * 300)
    _wipe_logs(paths.database)
    with pytest.raises(StoreCorrupt) as info:
        Outbox.open(paths)
    assert "recover --restore" in str(info.value)


def test_a_fresh_data_dir_and_temp_leftovers_still_open(paths: Paths) -> None:
    paths.docs_dir.mkdir(parents=True)
    (paths.docs_dir / ".meterai-tmp-1-x").write_bytes(b"half a copy")
    Outbox.open(paths).close()  # a crash's temp file is no evidence of requests


# --- the install id ------------------------------------------------------------------------


def test_the_install_id_is_written_beside_the_outbox(paths: Paths) -> None:
    box = Outbox.open(paths)
    assert read_install_id(paths) == box.install_id()
    box.close()


def test_a_rebuilt_outbox_keeps_the_install_id(paths: Paths) -> None:
    """Without it, reconciliation could no longer match the tags of serial numbers bought."""
    box = Outbox.open(paths)
    original = box.install_id()
    box.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{paths.database}{suffix}").unlink(missing_ok=True)
    rebuilt = Outbox.open(paths)
    assert rebuilt.install_id() == original
    _queue(rebuilt)
    assert rebuilt.get(1).numbering_tag.startswith(f"mdk-{original}-")  # type: ignore[union-attr]
    rebuilt.close()


def test_an_outbox_in_use_keeps_its_own_install_id(paths: Paths) -> None:
    box = Outbox.open(paths)
    _queue(box)
    own = box.install_id()
    box.close()
    paths.install_id_file.write_text("0123456789ab\n")
    box = Outbox.open(paths)
    assert box.install_id() == own  # its requests' tags were made with it
    box.close()


# --- rolling backups -----------------------------------------------------------------------


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


# --- restore -------------------------------------------------------------------------------


def test_restore_brings_back_the_requests_and_keeps_the_damaged_file(paths: Paths) -> None:
    ids = _outbox_with_documents(paths, requests=3)
    paths.database.write_bytes(b"")
    restored = restore_newest_backup(paths)
    assert restored.requests == 3
    (aside,) = restored.kept_aside
    assert aside.name.startswith("outbox.damaged-") and aside.read_bytes() == b""
    box = Outbox.open(paths)
    assert [r.id for r in box.requests()] == ids
    box.close()


def test_restore_falls_back_past_an_unreadable_backup(paths: Paths) -> None:
    box = Outbox.open(paths)
    _queue(box)
    box.close()  # backup 1: one request
    box = Outbox.open(paths)
    _queue(box)
    box.close()  # backup 2: two requests
    newest = generations(paths.backups_dir)[0].path
    newest.write_bytes(b"\x00garbage" * 512)
    paths.database.unlink()
    restored = restore_newest_backup(paths)
    assert [p for p, _why in restored.skipped] == [newest]
    assert restored.requests == 1
    assert newest.exists()  # a bad backup is skipped, not deleted


def test_restore_lists_documents_queued_after_the_backup(paths: Paths) -> None:
    _outbox_with_documents(paths, requests=1)
    late = paths.docs_dir / f"{'cd' * 32}.pdf"
    late.write_bytes(b"%PDF-1.7\n")
    paths.database.unlink()
    assert restore_newest_backup(paths).unlisted_documents == (late,)


def test_restore_refuses_to_replace_a_sound_outbox(paths: Paths) -> None:
    _outbox_with_documents(paths)
    before = paths.database.read_bytes()
    with pytest.raises(NothingToRestore):
        restore_newest_backup(paths)
    assert paths.database.read_bytes() == before


def test_restore_without_a_usable_backup_changes_nothing(paths: Paths) -> None:
    _outbox_with_documents(paths)
    for generation in generations(paths.backups_dir):
        generation.path.write_bytes(b"junk")
    paths.database.write_bytes(b"")
    with pytest.raises(NoUsableBackup):
        restore_newest_backup(paths)
    assert paths.database.read_bytes() == b""


def test_without_a_backup_the_way_out_keeps_the_install_id(paths: Paths) -> None:
    """The way NoUsableBackup names: move the documents aside, and a new outbox starts with
    the same install id, so the next reconciliation still knows this installation's serials."""
    box = Outbox.open(paths)
    original = box.install_id()
    box.close()
    _outbox_with_documents(paths)
    for generation in generations(paths.backups_dir):
        generation.path.unlink()
    paths.database.write_bytes(b"")
    with pytest.raises(NoUsableBackup) as info:
        restore_newest_backup(paths)
    assert str(paths.docs_dir) in str(info.value)
    paths.docs_dir.rename(paths.data_dir.parent / "docs-aside")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{paths.database}{suffix}").unlink(missing_ok=True)
    fresh = Outbox.open(paths)
    assert fresh.count() == 0 and fresh.install_id() == original
    fresh.close()
