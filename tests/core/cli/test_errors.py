"""Issue 3's acceptance through the installed ``meterai`` script, as a kiosk or a script runs it.

Every call is a real process with a real data dir, so exit codes, stdout/stderr and
the default language are what a caller sees, not what an in-process test would.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.support.cli import (
    EXIT_FAILED,
    meterai,
    queue_good,
)


def _damage_pages(database: Path) -> None:
    """Overwrite the body of every page but the first: the header and schema still read."""
    page = 4096
    data = bytearray(database.read_bytes())
    assert len(data) > 2 * page
    for start in range(page, len(data), page):
        data[start + 8 : start + page - 8] = b"\xa5" * (page - 16)
    database.write_bytes(bytes(data))


def _outbox_with_one_request(data: Path, home: Path, good: Path) -> Path:
    queue_good(data, home, good)
    database = data / "outbox.sqlite3"
    return database


@pytest.mark.parametrize("command", [("status",), ("show", "1"), ("add", "GOOD", "--type", "3")])
def test_a_corrupt_outbox_is_reported_and_left_byte_identical(
    command: tuple[str, ...], data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    database = _outbox_with_one_request(data, home, pdfs["good"])
    _damage_pages(database)
    before = database.read_bytes()
    docs_before = sorted((data / "docs").iterdir())
    args = [str(pdfs["good"]) if a == "GOOD" else a for a in command]

    english = meterai("--data-dir", data, "--lang", "en", *args, home=home)
    assert english.code == EXIT_FAILED
    assert "damaged" in english.err and "left untouched" in english.err
    assert str(database) in english.err

    assert database.read_bytes() == before
    assert sorted((data / "docs").iterdir()) == docs_before


def test_a_file_that_is_not_sqlite_is_reported_and_left_byte_identical(
    data: Path, home: Path
) -> None:
    data.mkdir(parents=True)
    database = data / "outbox.sqlite3"
    database.write_bytes(b"my tax return, misplaced\n" * 100)
    before = database.read_bytes()
    result = meterai("--data-dir", data, "--lang", "en", "status", home=home)
    assert result.code == EXIT_FAILED
    assert "damaged" in result.err
    assert database.read_bytes() == before
    assert sorted(p.name for p in data.iterdir()) == ["outbox.sqlite3"]


def test_an_outbox_from_a_newer_version_is_reported_and_left_byte_identical(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    database = _outbox_with_one_request(data, home, pdfs["good"])
    conn = sqlite3.connect(database)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = database.read_bytes()
    result = meterai("--lang", "en", "--data-dir", data, "status", home=home)
    assert result.code == EXIT_FAILED
    assert "written by a newer version of Meterai Desk" in result.err
    assert database.read_bytes() == before
