"""qpdf's recovery, accepted only when every page keeps what it draws with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from meterai.documents.errors import RepairFailed
from meterai.documents.recovery import can_repair, open_recovered
from tests.support import pdfs


@pytest.mark.parametrize(
    ("make", "pages"),
    [(pdfs.make_broken_startxref, 2), (pdfs.make_truncated_xref, 2), (pdfs.make_offset_off, 1)],
    ids=["broken_startxref", "truncated_xref", "offset_off"],
)
def test_a_broken_cross_reference_is_recovered_with_every_page(
    tmp_path: Path, make: Callable[[Path], Path], pages: int
) -> None:
    path = make(tmp_path / "broken.pdf")
    assert can_repair(path)
    with open_recovered(path) as pdf:
        assert len(pdf.pages) == pages


@pytest.mark.parametrize("keep", [0.3, 0.6])
def test_a_file_cut_short_is_not_repaired_into_fewer_pages(tmp_path: Path, keep: float) -> None:
    path = pdfs.make_truncated(tmp_path / "cut.pdf", keep)
    assert not can_repair(path)
    with pytest.raises(RepairFailed):
        open_recovered(path)


def test_a_scan_cut_inside_its_image_is_not_a_blank_page_to_stamp(tmp_path: Path) -> None:
    assert not can_repair(pdfs.make_cut_scan(tmp_path / "cut-scan.pdf", 0.5))


def test_a_page_that_lost_its_resources_is_refused(tmp_path: Path) -> None:
    assert not can_repair(pdfs.make_lost_resources(tmp_path / "lost.pdf"))


def test_garbage_is_refused_not_raised_as_a_pikepdf_error(tmp_path: Path) -> None:
    with pytest.raises(RepairFailed):
        open_recovered(pdfs.make_garbage(tmp_path / "garbage.pdf"))


def test_a_sound_file_opens_as_it_is(tmp_path: Path) -> None:
    path = pdfs.make_pdf(tmp_path / "good.pdf", pages=3)
    with open_recovered(path) as pdf, pikepdf.open(path) as plain:
        assert len(pdf.pages) == len(plain.pages) == 3
