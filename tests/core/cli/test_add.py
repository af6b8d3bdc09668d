"""Issue 3's acceptance through the installed ``meterai`` script, as a kiosk or a script runs it.

Every call is a real process with a real data dir, so exit codes, stdout/stderr and
the default language are what a caller sees, not what an in-process test would.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from meterai.outbox import Outbox
from meterai.settings import resolve_paths
from tests.support.cli import (
    EXIT_OK,
    EXIT_REJECTED,
    meterai,
    queue_good,
    status_json,
)
from tests.support.pdfs import make_pdf


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


REFUSALS = {
    # kind: words naming the problem
    "encrypted": "password",
    "signed": "digital signature",
    "certified": "certified",
    "garbage": "not a PDF",
    "unreadable": "print it to PDF again",
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


def test_a_bad_file_is_refused_in_indonesian_by_default(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    """One of the few Indonesian assertions kept: the default language, not the copy."""
    result = meterai("--data-dir", data, "add", pdfs["garbage"], "--type", "3", home=home)
    assert result.code == EXIT_REJECTED
    assert result.out == ""
    label, name, message = result.err.split(": ", 2)
    assert (label, name) == ("Galat", pdfs["garbage"].name)
    assert message.strip() and REFUSALS["garbage"] not in message
    assert_nothing_kept(data, pdfs["garbage"])


@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_a_bad_file_is_refused_in_english_with_lang_en(
    kind: str, data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    result = meterai(
        "--data-dir", data, "--lang", "en", "add", pdfs[kind], "--type", "3", home=home
    )
    assert result.code == EXIT_REJECTED
    assert result.err.startswith("Error: ")
    assert REFUSALS[kind] in result.err
    assert_nothing_kept(data, pdfs[kind])


def test_a_mixed_batch_queues_the_good_and_refuses_the_bad(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    result = meterai(
        "--data-dir", data, "add", pdfs["good"], pdfs["signed"], "--type", "3", home=home
    )
    assert result.code == EXIT_REJECTED
    assert result.out.split()[1:] == ["1", str(pdfs["good"])]  # "diantrekan 1 FILE"
    assert "signed.pdf" in result.err
    assert [r["file"] for r in status_json(data, home)] == ["good.pdf"]
    assert sorted(p.name for p in (data / "docs").iterdir()) == [f"{sha256(pdfs['good'])}.pdf"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this OS")
def test_a_fifo_is_refused_at_once_with_exit_3(data: Path, home: Path, tmp_path: Path) -> None:
    """Before: ``meterai add x.pdf`` on a named pipe blocked forever in the first read.

    No writer ever comes, so an answer at all shows it did not wait for one; a CLI that
    waits never answers and ``meterai`` gives up on it (its timeout, not a 10 s bound that
    a loaded machine's start-up may cross)."""
    fifo = tmp_path / "fifo.pdf"
    os.mkfifo(fifo)
    result = meterai("--lang", "en", "--data-dir", data, "add", fifo, "--type", "3", home=home)
    assert result.code == EXIT_REJECTED
    assert "fifo.pdf is a named pipe (FIFO), not a file" in result.err
    assert status_json(data, home) == []


def test_an_unknown_type_is_refused_before_any_file_is_read(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    result = meterai(
        "--lang", "en", "--data-dir", data, "add", pdfs["good"], "--type", "99", home=home
    )
    assert result.code == EXIT_REJECTED
    assert "“99” is not a document type" in result.err
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
        (("--id-type", "KTP", "--id-number", "317401234567"), "together"),
        (("--id-type", "KTP", "--id-number", "317401234567", "--id-name", "Siti"), "16 digits"),
        (("--id-type", "NPWP", "--id-number", "12.345", "--id-name", "PT Maju"), "15 or 16"),
        (("--id-type", "SIM", "--id-number", "1234", "--id-name", "Siti"), "KTP or NPWP"),
    ],
)
def test_a_wrong_identity_is_refused_before_any_file_is_read(
    data: Path, home: Path, pdfs: dict[str, Path], identity: tuple[str, ...], said: str
) -> None:
    result = meterai(
        "--lang", "en", "--data-dir", data, "add", pdfs["good"], "--type", "3", *identity, home=home
    )
    assert result.code == EXIT_REJECTED
    assert said in result.err
    assert not (data / "docs").exists() or not any((data / "docs").iterdir())


# --- add --json (issue 18 item 7): one JSON object per file, ids beside the words ---------


def _objects(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_add_json_prints_one_object_per_file_queued_or_refused(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    result = meterai(
        "--data-dir", data, "add", "--json", "--type", "3", pdfs["good"], pdfs["garbage"], home=home
    )
    assert result.code == EXIT_REJECTED, "a refused file still sets the exit code"
    good, bad = _objects(result.out)
    listed = status_json(data, home)
    assert (good["queued"], good["id"], good["state"]) == (True, listed[0]["id"], "queued")
    assert (good["file"], good["page"], good["rect"]) == (str(pdfs["good"]), 2, listed[0]["rect"])
    assert (good["warnings"], good["error"]) == ([], None)
    assert (bad["queued"], bad["id"], bad["error"]["id"]) == (False, None, "pdf_rejected")
    assert [f["id"] for f in bad["error"]["findings"]] == ["not_pdf"]
    assert bad["error"]["message"].startswith("garbage.pdf: "), "words in the chosen language"
    assert result.err == "", "nothing but the objects: the refusal is inside its object"


def test_add_json_lists_a_warning_by_its_id(data: Path, home: Path, tmp_path: Path) -> None:
    letter = make_pdf(tmp_path / "letter.pdf", size=(612, 792))
    result = meterai(
        "--data-dir", data, "--lang", "en", "add", "--json", "--type", "3",
        "--target", "sscasn", "--no-fix", letter, home=home,
    )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    [queued] = _objects(result.out)
    [warning] = queued["warnings"]
    assert warning["id"] == "not_a4"
    assert "not A4" in warning["message"]


def test_add_json_fixes_are_named_by_id(data: Path, home: Path, tmp_path: Path) -> None:
    letter = make_pdf(tmp_path / "letter.pdf", size=(612, 792))
    result = meterai(
        "--data-dir", data, "add", "--json", "--type", "3", "--target", "sscasn", letter, home=home
    )
    assert result.code == EXIT_OK, result.err
    [queued] = _objects(result.out)
    assert queued["fixes"] == ["fit_a4"]
    assert "not_a4" not in [w["id"] for w in queued["warnings"]], "fixed, so no longer warned"
