"""Issue 14, item 2: an outbox that is missing, empty or unreadable beside stored documents is
refused, never taken as a new empty one; the install id survives a rebuild."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from meterai.errors import StoreCorrupt
from meterai.outbox import NewRequest, Outbox
from meterai.outbox.guard import OutboxLost, read_install_id
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
