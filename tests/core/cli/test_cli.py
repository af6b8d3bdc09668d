"""Issue 3's acceptance through the installed ``meterai`` script, as a kiosk or a script runs it.

Every call is a real process with a real data dir, so exit codes, stdout/stderr and
the default language are what a caller sees, not what an in-process test would.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from meterai.messages import Message
from meterai.outbox import Outbox, State
from meterai.settings import resolve_paths
from tests.support.cli import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, EXIT_USAGE, meterai, status_json
from tests.support.pdfs import make_encrypted, make_garbage, make_pdf, make_unreadable_box
from tests.support.signing import sign_pdf


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdfs")
    return {
        "good": make_pdf(folder / "good.pdf", pages=2),
        "encrypted": make_encrypted(folder / "encrypted.pdf"),
        "signed": sign_pdf(make_pdf(folder / "to-sign.pdf"), folder / "signed.pdf"),
        "certified": sign_pdf(
            make_pdf(folder / "to-certify.pdf"), folder / "certified.pdf", certify=True
        ),
        "garbage": make_garbage(folder / "garbage.pdf"),
        "unreadable": make_unreadable_box(folder / "unreadable.pdf"),
    }


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def queue_good(data: Path, home: Path, good: Path) -> int:
    result = meterai("--data-dir", data, "add", good, "--type", "3", home=home)
    assert result.code == EXIT_OK, result.err
    word, request_id, file = result.out.split(maxsplit=2)
    assert (word, file.strip()) == ("queued", str(good))
    return int(request_id)


# --- add and status ---------------------------------------------------------------------


def test_add_queues_a_good_pdf_and_status_lists_it(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    good = pdfs["good"]
    before = sha256(good)
    request_id = queue_good(data, home, good)

    rows = status_json(data, home)
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == request_id
    assert row["state"] == "queued"
    assert row["file"] == "good.pdf"
    assert row["sha256"] == before
    for key in ("attempts", "last_error", "next_attempt_at", "sn"):
        assert key in row
    copy = data / "docs" / f"{before}.pdf"
    assert sha256(copy) == before
    assert copy.stat().st_mode & 0o222 == 0, "the queued copy must be read-only"
    assert sha256(good) == before, "the original was modified"


def test_status_in_words_shows_the_state_in_indonesian(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    queue_good(data, home, pdfs["good"])
    result = meterai("--data-dir", data, "status", home=home)
    assert result.code == EXIT_OK
    assert "Dalam antrean" in result.out
    assert "good.pdf" in result.out


# --- refusals -----------------------------------------------------------------------------

REFUSALS = {
    # kind: (words naming the problem in Indonesian, in English)
    "encrypted": ("kata sandi", "password"),
    "signed": ("tanda tangan digital", "digital signature"),
    "certified": ("tersertifikasi", "certified"),
    "garbage": ("bukan PDF", "not a PDF"),
    "unreadable": ("cetak ulang ke PDF", "print it to PDF again"),
}


def assert_nothing_kept(data: Path, refused: Path) -> None:
    """No request, no document copy, no temp file: not a byte of the refused file stays."""
    docs = data / "docs"
    assert not docs.exists() or not any(docs.iterdir()), list(docs.iterdir())
    digest = sha256(refused)
    for path in data.rglob("*"):
        if path.is_file() and path.suffix != ".sqlite3" and "sqlite3-" not in path.name:
            assert sha256(path) != digest, f"{path} is a copy of the refused {refused.name}"
    if (data / "outbox.sqlite3").exists():
        conn = sqlite3.connect(data / "outbox.sqlite3")
        try:
            assert conn.execute("SELECT count(*) FROM requests").fetchone()[0] == 0
            assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
        finally:
            conn.close()


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_a_bad_file_is_refused_in_indonesian_by_default(
    kind: str, data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    result = meterai("--data-dir", data, "add", pdfs[kind], "--type", "3", home=home)
    assert result.code == EXIT_REJECTED
    assert result.out == ""
    indonesian, english = REFUSALS[kind]
    label, name, message = result.err.split(": ", 2)
    assert (label, name) == ("Galat", pdfs[kind].name)
    assert indonesian in message
    assert english not in message
    assert_nothing_kept(data, pdfs[kind])


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_a_bad_file_is_refused_in_english_with_lang_en(
    kind: str, data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    result = meterai(
        "--data-dir", data, "--lang", "en", "add", pdfs[kind], "--type", "3", home=home
    )
    assert result.code == EXIT_REJECTED
    assert result.err.startswith("Error: ")
    assert REFUSALS[kind][1] in result.err
    assert_nothing_kept(data, pdfs[kind])


def test_an_english_locale_gives_english(data: Path, home: Path, pdfs: dict[str, Path]) -> None:
    result = meterai(
        "--data-dir", data, "add", pdfs["garbage"], "--type", "3", home=home, lang_env="en_US.UTF-8"
    )
    assert result.code == EXIT_REJECTED
    assert "not a PDF" in result.err


def test_a_mixed_batch_queues_the_good_and_refuses_the_bad(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    result = meterai(
        "--data-dir", data, "add", pdfs["good"], pdfs["signed"], "--type", "3", home=home
    )
    assert result.code == EXIT_REJECTED
    assert result.out.startswith("queued ")
    assert "signed.pdf" in result.err
    assert [r["file"] for r in status_json(data, home)] == ["good.pdf"]
    assert sorted(p.name for p in (data / "docs").iterdir()) == [f"{sha256(pdfs['good'])}.pdf"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this OS")
def test_a_fifo_is_refused_at_once_with_exit_3(data: Path, home: Path, tmp_path: Path) -> None:
    """Before: ``meterai add x.pdf`` on a named pipe blocked forever in the first read."""
    fifo = tmp_path / "fifo.pdf"
    os.mkfifo(fifo)
    started = time.monotonic()
    result = meterai("--lang", "en", "--data-dir", data, "add", fifo, "--type", "3", home=home)
    elapsed = time.monotonic() - started
    assert result.code == EXIT_REJECTED
    assert "fifo.pdf is a named pipe (FIFO), not a file" in result.err
    assert elapsed < 10, f"took {elapsed:.1f} s"  # the whole process, start-up included
    assert status_json(data, home) == []


def test_an_unknown_type_is_refused_before_any_file_is_read(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    result = meterai("--data-dir", data, "add", pdfs["good"], "--type", "99", home=home)
    assert result.code == EXIT_REJECTED
    assert "bukan jenis dokumen" in result.err
    assert not (data / "docs").exists() or not any((data / "docs").iterdir())


def test_an_identity_given_with_add_is_stored_normalised(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    identity = (
        "--id-type",
        "ktp",
        "--id-number",
        "3174.0123 4567-8901",
        "--id-name",
        "Siti  Aminah",
    )
    result = meterai("--data-dir", data, "add", pdfs["good"], "--type", "3", *identity, home=home)
    assert result.code == EXIT_OK, result.err
    box = Outbox.open(resolve_paths(data))
    (row,) = box.requests()
    box.close()
    assert (row.namejidentitas, row.noidentitas, row.namedipungut) == (
        "KTP",
        "3174012345678901",
        "Siti Aminah",
    )


@pytest.mark.parametrize(
    ("identity", "said"),
    [
        (("--id-type", "KTP", "--id-number", "317401234567"), "sekaligus"),
        (("--id-type", "KTP", "--id-number", "317401234567", "--id-name", "Siti"), "16 angka"),
        (("--id-type", "NPWP", "--id-number", "12.345", "--id-name", "PT Maju"), "15 atau 16"),
        (("--id-type", "SIM", "--id-number", "1234", "--id-name", "Siti"), "KTP atau NPWP"),
    ],
)
def test_a_wrong_identity_is_refused_before_any_file_is_read(
    data: Path, home: Path, pdfs: dict[str, Path], identity: tuple[str, ...], said: str
) -> None:
    result = meterai("--data-dir", data, "add", pdfs["good"], "--type", "3", *identity, home=home)
    assert result.code == EXIT_REJECTED
    assert said in result.err
    assert not (data / "docs").exists() or not any((data / "docs").iterdir())


def test_a_usage_error_exits_2_without_a_traceback(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    assert meterai("--data-dir", data, "add", pdfs["good"], home=home).code == EXIT_USAGE
    bad_page = meterai(
        "--data-dir", data, "add", pdfs["good"], "--type", "3", "--page", "x", home=home
    )
    assert bad_page.code == EXIT_USAGE
    assert "--page" in bad_page.err


# --- show and cancel ----------------------------------------------------------------------


def test_show_prints_the_request_and_its_journal(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    request_id = queue_good(data, home, pdfs["good"])
    words = meterai("--data-dir", data, "show", str(request_id), home=home)
    assert words.code == EXIT_OK
    assert "good.pdf" in words.out
    assert "Riwayat:" in words.out
    assert "-> queued" in words.out

    body = json.loads(meterai("--data-dir", data, "show", str(request_id), "--json", home=home).out)
    assert body["id"] == request_id
    assert body["sha256"] == sha256(pdfs["good"])
    assert [entry["to_state"] for entry in body["journal"]] == ["queued"]


def test_cancel_withdraws_a_queued_request(data: Path, home: Path, pdfs: dict[str, Path]) -> None:
    request_id = queue_good(data, home, pdfs["good"])
    result = meterai("--data-dir", data, "cancel", str(request_id), home=home)
    assert result.code == EXIT_OK
    assert result.out.strip() == f"dibatalkan {request_id} good.pdf"
    assert status_json(data, home)[0]["state"] == "cancelled"

    again = meterai("--data-dir", data, "cancel", str(request_id), home=home)
    assert again.code == EXIT_REJECTED
    assert again.err.startswith("Galat: ")


def test_retry_starts_afresh_without_the_old_reason(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    """Issue 16: ``meterai retry`` kept the failed attempts' count and reason on the row it
    sent again (the app's retry cleared them), so the table showed an old failure beside
    a queued request. Both now call ``Outbox.retry``."""
    request_id = queue_good(data, home, pdfs["good"])
    box = Outbox.open(resolve_paths(data))
    try:
        box.record_failure(request_id, Message("timeout"), next_attempt_at=time.time() + 600)
        box.transition(request_id, State.NEEDS_ATTENTION, detail="gave up")
    finally:
        box.close()

    result = meterai("--data-dir", data, "retry", str(request_id), home=home)

    assert result.code == EXIT_OK, result.err
    listed = status_json(data, home)[0]
    assert (listed["state"], listed["attempts"], listed["last_error"]) == ("queued", 0, None)
    box = Outbox.open(resolve_paths(data))
    try:
        row = box.get(request_id)
    finally:
        box.close()
    assert (row.next_attempt_at, row.last_error_msg, row.reason()) == (None, None, "")


def test_show_and_cancel_of_an_unknown_id_name_it(data: Path, home: Path) -> None:
    for command in ("show", "cancel"):
        result = meterai("--data-dir", data, "--lang", "en", command, "42", home=home)
        assert result.code == EXIT_REJECTED
        assert "no request 42" in result.err


# --- a damaged or foreign outbox is reported and left alone -------------------------------


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

    indonesian = meterai("--data-dir", data, *args, home=home)
    assert indonesian.code == EXIT_FAILED
    assert "rusak" in indonesian.err and str(database) in indonesian.err
    english = meterai("--data-dir", data, "--lang", "en", *args, home=home)
    assert english.code == EXIT_FAILED
    assert "damaged" in english.err and "left untouched" in english.err

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
    result = meterai("--data-dir", data, "status", home=home)
    assert result.code == EXIT_FAILED
    assert "versi Meterai Desk yang lebih baru" in result.err
    assert database.read_bytes() == before


def test_types_lists_the_built_in_document_types(data: Path, home: Path) -> None:
    result = meterai("--data-dir", data, "types", "--json", home=home)
    assert result.code == EXIT_OK
    assert "3" in {t["kode"] for t in json.loads(result.out)}
