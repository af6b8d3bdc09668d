"""``meterai add`` and what lies under the stamp: a warning, ``--place auto``, or a refusal.

Real processes, a real data folder; where the queued stamp landed is checked by
rendering the queued document with poppler (the code under test renders with PDFium).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from meterai.placement import Rect, page_geometry
from tests.support.cli import EXIT_OK, EXIT_REJECTED, meterai, status_json
from tests.support.content import PDFTOPPM, Things, make_page, poppler_ink

needs_poppler = pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) missing")

UNDER_DEFAULT = [Rect(40, 40 + 20 * i, 560, 54 + 20 * i) for i in range(5)]
"""Lines of text along the bottom of an A4 page, under the default stamp box."""


@pytest.fixture
def letter(tmp_path: Path) -> Path:
    return make_page(tmp_path / "letter.pdf", Things(text=UNDER_DEFAULT))


def add(tmp_path: Path, *args: str | Path) -> tuple[int, str, str]:
    data, home = tmp_path / "data", tmp_path / "home"
    done = meterai("--lang", "en", "--data-dir", data, "add", "--type", "3", *args, home=home)
    return done.code, done.out, done.err


def queued(tmp_path: Path) -> list[dict[str, object]]:
    return status_json(tmp_path / "data", tmp_path / "home")


def test_a_stamp_over_text_is_queued_with_a_warning_that_says_so(
    tmp_path: Path, letter: Path
) -> None:
    code, out, err = add(tmp_path, letter)
    assert code == EXIT_OK, err
    assert out.startswith("queued ")
    assert "letter.pdf: The stamp on page 1 covers text." in err
    assert "--place auto" in err and "--strict-placement" in err
    assert [row["file"] for row in queued(tmp_path)] == ["letter.pdf"]


def test_the_warning_is_in_indonesian_by_default(tmp_path: Path, letter: Path) -> None:
    """Indonesian is the default language: this is the one assertion on its words here."""
    done = meterai("--data-dir", tmp_path / "d", "add", "--type", "3", letter, home=tmp_path)
    assert done.code == EXIT_OK, done.err
    assert "Meterai di halaman 1 menutupi teks." in done.err


def test_a_clear_spot_gives_no_warning(tmp_path: Path) -> None:
    page = make_page(tmp_path / "clear.pdf", Things(text=[Rect(72, 700, 400, 720)]))
    code, _out, err = add(tmp_path, page)
    assert code == EXIT_OK
    assert err == ""


@needs_poppler
def test_place_auto_queues_a_rectangle_with_no_ink_under_it(tmp_path: Path, letter: Path) -> None:
    code, _out, err = add(tmp_path, letter, "--place", "auto")
    assert code == EXIT_OK, err
    assert "moved to a free spot on page 1" in err
    assert "covers text" not in err
    (row,) = queued(tmp_path)
    rect = Rect(*row["rect"])  # type: ignore[misc]
    assert (rect.width, rect.height) == (72, 72), "the size is kept"
    document = tmp_path / "data" / "docs" / f"{row['sha256']}.pdf"
    geometry = page_geometry(document, 0)
    assert poppler_ink(document, geometry, rect, tmp_path) == 0
    assert poppler_ink(document, geometry, Rect(487, 36, 559, 108), tmp_path) > 0


def test_strict_placement_refuses_and_queues_nothing(tmp_path: Path, letter: Path) -> None:
    before = hashlib.sha256(letter.read_bytes()).hexdigest()
    code, out, err = add(tmp_path, letter, "--strict-placement")
    assert code == EXIT_REJECTED
    assert out == ""
    assert "letter.pdf was not queued: The stamp on page 1 covers text." in err
    assert queued(tmp_path) == []
    assert not list((tmp_path / "data" / "docs").glob("*.pdf")), "no copy is kept"
    assert hashlib.sha256(letter.read_bytes()).hexdigest() == before


def test_strict_placement_with_place_auto_queues_the_moved_stamp(
    tmp_path: Path, letter: Path
) -> None:
    code, _out, err = add(tmp_path, letter, "--place", "auto", "--strict-placement")
    assert code == EXIT_OK, err
    assert len(queued(tmp_path)) == 1


def test_strict_placement_refuses_only_the_covered_file_of_several(
    tmp_path: Path, letter: Path
) -> None:
    clear = make_page(tmp_path / "clear.pdf", Things())
    code, out, _err = add(tmp_path, clear, letter, "--strict-placement")
    assert code == EXIT_REJECTED
    assert [row["file"] for row in queued(tmp_path)] == ["clear.pdf"]
    assert "clear.pdf" in out and "letter.pdf" not in out


# --- add --json: the warnings as ids ---------------------------------------------------------


def add_json(tmp_path: Path, *args: str | Path) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = add(tmp_path, "--json", *args)
    assert err == "", "--json keeps the warnings in the objects"
    return code, [json.loads(line) for line in out.splitlines()]


def test_add_json_lists_stamp_covers_text(tmp_path: Path, letter: Path) -> None:
    code, (obj,) = add_json(tmp_path, letter)
    assert code == EXIT_OK
    assert obj["queued"] is True and obj["error"] is None
    assert [w["id"] for w in obj["warnings"]] == ["stamp_covers_text"]
    assert obj["warnings"][0]["message"] == "The stamp on page 1 covers text."


def test_add_json_names_a_signature_field_and_a_clear_file_has_no_warnings(
    tmp_path: Path,
) -> None:
    signed = make_page(tmp_path / "form.pdf", Things(signature_field=[Rect(495, 45, 550, 100)]))
    clear = make_page(tmp_path / "clear.pdf", Things())
    code, (first, second) = add_json(tmp_path, signed, clear)
    assert code == EXIT_OK
    assert [w["id"] for w in first["warnings"]] == ["stamp_covers_signature"]
    assert second["warnings"] == []


def test_add_json_with_place_auto_gives_the_moved_rect(tmp_path: Path, letter: Path) -> None:
    code, (obj,) = add_json(tmp_path, letter, "--place", "auto")
    assert code == EXIT_OK
    assert [w["id"] for w in obj["warnings"]] == ["stamp_moved"]
    assert obj["rect"] == queued(tmp_path)[0]["rect"]
    assert obj["rect"] != [487, 36, 559, 108]


def test_add_json_strict_placement_gives_the_error_and_its_findings(
    tmp_path: Path, letter: Path
) -> None:
    code, (obj,) = add_json(tmp_path, letter, "--strict-placement")
    assert code == EXIT_REJECTED
    assert obj["queued"] is False
    assert obj["error"]["id"] == "stamp_covers_content"
    assert [f["id"] for f in obj["error"]["findings"]] == ["stamp_covers_text"]
