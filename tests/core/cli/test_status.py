"""Issue 3's acceptance through the installed ``meterai`` script, as a kiosk or a script runs it.

Every call is a real process with a real data dir, so exit codes, stdout/stderr and
the default language are what a caller sees, not what an in-process test would.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.support.cli import (
    EXIT_OK,
    EXIT_REJECTED,
    meterai,
    queue_good,
    status_json,
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_status_in_words_shows_the_state_in_indonesian(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    queue_good(data, home, pdfs["good"])
    result = meterai("--data-dir", data, "status", home=home)
    assert result.code == EXIT_OK
    assert "Dalam antrean" in result.out
    assert "good.pdf" in result.out


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


def test_show_and_cancel_of_an_unknown_id_name_it(data: Path, home: Path) -> None:
    for command in ("show", "cancel"):
        result = meterai("--data-dir", data, "--lang", "en", command, "42", home=home)
        assert result.code == EXIT_REJECTED
        assert "no request 42" in result.err
