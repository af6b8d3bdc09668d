from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from meterai.documents import DocumentStore
from meterai.fsutil import TEMP_PREFIX
from tests.support import pdfs


@pytest.fixture
def store(tmp_path: Path) -> DocumentStore:
    return DocumentStore(tmp_path / "data")


def test_put_copies_read_only_under_its_hash(store: DocumentStore, tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "doc.pdf")
    data = src.read_bytes()
    stored = store.put(src)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.path == store.root / "docs" / f"{stored.sha256}.pdf"
    assert stored.path == store.path_for(stored.sha256)
    assert stored.size == len(data)
    assert stored.path.read_bytes() == data
    assert stat.S_IMODE(stored.path.stat().st_mode) == 0o444
    assert src.read_bytes() == data


def test_put_is_idempotent(store: DocumentStore, tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "doc.pdf")
    first = store.put(src)
    copy = tmp_path / "renamed.pdf"
    copy.write_bytes(src.read_bytes())
    assert store.put(src) == store.put(copy) == first
    assert os.listdir(store.folder) == [first.path.name]


def test_put_replaces_a_damaged_copy(store: DocumentStore, tmp_path: Path) -> None:
    stored = store.put(pdfs.make_pdf(tmp_path / "doc.pdf"))
    os.chmod(stored.path, 0o644)
    stored.path.write_bytes(b"bit rot")
    assert not store.check(stored.sha256)
    assert store.put(tmp_path / "doc.pdf") == stored
    assert store.check(stored.sha256)
    assert stat.S_IMODE(stored.path.stat().st_mode) == 0o444


def test_check(store: DocumentStore, tmp_path: Path) -> None:
    stored = store.put(pdfs.make_pdf(tmp_path / "doc.pdf"))
    assert store.check(stored.sha256)
    assert not store.check("0" * 64)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 64, "abc", "0" * 63 + "g"])
def test_path_for_takes_only_a_sha256(store: DocumentStore, bad: str) -> None:
    with pytest.raises(ValueError):
        store.path_for(bad)


def test_sweep_removes_what_a_crash_left(store: DocumentStore, tmp_path: Path) -> None:
    stored = store.put(pdfs.make_pdf(tmp_path / "doc.pdf"))
    (store.folder / f"{TEMP_PREFIX}half").write_bytes(b"%PDF-1.7 half a copy")
    (store.folder / f"{TEMP_PREFIX}other").write_bytes(b"")
    assert store.sweep() == 2
    assert os.listdir(store.folder) == [stored.path.name]
    assert store.sweep() == 0


def test_sweep_before_any_put(store: DocumentStore) -> None:
    assert store.sweep() == 0


def test_put_of_a_missing_file_leaves_no_temp(store: DocumentStore, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        store.put(tmp_path / "gone.pdf")
    assert os.listdir(store.folder) == []
