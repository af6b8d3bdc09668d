"""The GUI's boundary names a refused write like the CLI does, instead of "a bug"."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from meterai_desk.errors import error_text


@pytest.mark.usefixtures("in_english")
def test_a_full_disk_is_the_users_to_act_on_not_an_apology(tmp_path: Path) -> None:
    data = tmp_path / "data"
    full = OSError(errno.ENOSPC, "No space left on device", str(data / "docs" / ".tmp"))
    text = error_text(full, str(data / "logs"))
    assert text.startswith(f"The disk is full: 1 MB are needed in {data}.")


@pytest.mark.usefixtures("in_english")
def test_a_read_only_folder_is_named(tmp_path: Path) -> None:
    data = tmp_path / "data"
    read_only = OSError(errno.EROFS, "Read-only file system", str(data / "sync.lock"))
    text = error_text(read_only, str(data / "logs"))
    assert text.startswith(f"The data folder is read-only: {data}.")


def test_any_other_os_error_is_still_an_unexpected_failure(tmp_path: Path) -> None:
    missing = OSError(errno.ENOENT, "No such file", str(tmp_path / "x"))
    assert "log" in error_text(missing, str(tmp_path / "logs"))
    assert "Disk" not in error_text(missing, str(tmp_path / "logs"))
