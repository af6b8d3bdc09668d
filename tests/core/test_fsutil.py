"""fsutil.atomic_writer: the one way a file that must not be lost is written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from meterai.fsutil import TEMP_PREFIX, atomic_writer, sweep_temp_files, temp_prefix


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX))


def test_the_file_appears_whole_with_its_mode_and_no_temp_file_is_left(tmp_path: Path) -> None:
    dest = tmp_path / "new" / "folder" / "out.pdf"
    with atomic_writer(dest, mode=0o444) as staged:
        staged.file.write(b"%PDF-1.7 first half ")
        assert not dest.exists(), "a reader must never see a half-written file"
        staged.file.write(b"second half")
    assert dest.read_bytes() == b"%PDF-1.7 first half second half"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o444
    assert _leftovers(dest.parent) == []


def test_a_failure_inside_the_block_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    dest = tmp_path / "out.pdf"
    dest.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_writer(dest) as staged:
        staged.file.write(b"new but never finished")
        raise RuntimeError("the download broke off")
    assert dest.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_a_discarded_write_leaves_the_old_file(tmp_path: Path) -> None:
    dest = tmp_path / "out.pdf"
    dest.write_bytes(b"old")
    with atomic_writer(dest) as staged:
        staged.file.write(b"too large")
        staged.discard()
    assert dest.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


def test_a_content_addressed_writer_names_the_file_once_its_bytes_are_known(
    tmp_path: Path,
) -> None:
    with atomic_writer(tmp_path / "incoming") as staged:
        staged.file.write(b"abc")
        staged.sync()
        staged.dest = tmp_path / f"{len(b'abc')}.bin"
    assert (tmp_path / "3.bin").read_bytes() == b"abc"
    assert not (tmp_path / "incoming").exists()


def test_the_temp_file_names_its_writer_so_a_sweep_spares_it(tmp_path: Path) -> None:
    """A live writer's temp file survives another process's crash sweep."""
    with atomic_writer(tmp_path / "out.pdf") as staged:
        staged.file.write(b"in progress")
        assert staged.temp.name.startswith(temp_prefix())
        assert sweep_temp_files(tmp_path) == 0
        assert staged.temp.exists()
    crashed = tmp_path / f"{TEMP_PREFIX}999999999-left.pdf"
    crashed.write_bytes(b"a crash's leftover")
    assert sweep_temp_files(tmp_path) == 1
    assert os.listdir(tmp_path) == ["out.pdf"]
