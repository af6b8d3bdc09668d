"""Issue 14, item 2: the restore from the newest good backup, never over a sound outbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.outbox import NewRequest, Outbox
from meterai.outbox.backup import generations
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
