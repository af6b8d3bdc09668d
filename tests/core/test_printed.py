"""The shared PDF layout: columns measured from what they hold, wrapping only where allowed."""

from __future__ import annotations

from pathlib import Path

from meterai.printed import PrintedPage, capped, latin1
from tests.support.rendering import needs_poppler, text


def test_columns_that_fit_keep_their_natural_widths() -> None:
    assert capped([10, 20, 30], 100) == [10, 20, 30]


def test_only_the_widest_columns_give_up_width() -> None:
    assert capped([10, 20, 200], 100) == [10, 20, 70]
    assert capped([10, 80, 80], 100) == [10, 45, 45]


def test_whole_columns_keep_their_width_even_when_wider_than_the_rest() -> None:
    # A serial number (column 1) wider than the file name's share is never cut.
    assert capped([10, 60, 100], 100, whole={1}) == [10, 60, 30]


def test_whole_columns_that_leave_no_room_wrap_like_the_others() -> None:
    widths = capped([10, 95, 40], 100, whole={1})
    assert sum(widths) <= 100 + 1e-9 and widths[0] == 10


def test_helvetica_gets_plain_marks_and_a_question_mark_for_what_it_cannot_draw() -> None:
    assert latin1("Buka… → lalu “simpan” — café") == 'Buka... -> lalu "simpan" - café'
    assert latin1("合同.pdf") == "??.pdf"


@needs_poppler
def test_a_long_table_repeats_its_headings_and_numbers_its_pages(tmp_path: Path) -> None:
    page = PrintedPage("Laporan")
    page.print_table([["No", "Nama berkas"], *([str(n), f"berkas-{n}.pdf"] for n in range(120))])
    dest = tmp_path / "t.pdf"
    page.save(dest)
    shown = text(dest)
    pages = shown.split("\f")[:-1]
    assert len(pages) >= 2
    assert all("Nama berkas" in p and f"/{len(pages)}" in p for p in pages)
    assert "berkas-119.pdf" in pages[-1]
