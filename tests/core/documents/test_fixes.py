from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from meterai import i18n
from meterai.documents import (
    CannotFit,
    Code,
    Fix,
    RepairFailed,
    apply_auto_fixes,
    apply_fixes,
    downsample_images,
    normalise_version,
    preflight,
    repair,
)
from meterai.documents.readers import readers_agree
from meterai.errors import InputError
from tests.support import pdfs

SSCASN_LIMIT = 800_000


def page_contents(path: Path) -> list[bytes]:
    with pikepdf.open(path) as pdf:
        return [page.obj.Contents.read_bytes() for page in pdf.pages]


def test_normalise_writes_1_7_and_leaves_the_original(tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "old.pdf", pages=3, version="1.3")
    before = src.read_bytes()
    dest = normalise_version(src, tmp_path / "new.pdf")
    assert src.read_bytes() == before
    report = preflight(dest)
    assert (report.pdf_version, report.page_count, report.findings) == ("1.7", 3, ())
    assert page_contents(dest) == page_contents(src)


def test_a_fix_never_writes_over_its_source(tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "old.pdf", version="1.3")
    before = src.read_bytes()
    with pytest.raises(ValueError):
        normalise_version(src, src)
    assert src.read_bytes() == before


@pytest.mark.parametrize("make", [pdfs.make_truncated_xref, pdfs.make_broken_startxref])
def test_repair_rebuilds_the_index(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    src = make(tmp_path / "broken.pdf")
    intact = page_contents(pdfs.make_pdf(tmp_path / "intact.pdf", pages=2))
    before = src.read_bytes()
    dest = repair(src, tmp_path / "repaired.pdf")
    assert src.read_bytes() == before
    assert preflight(dest).findings == ()
    assert page_contents(dest) == intact


def test_repair_refuses_when_content_is_lost(tmp_path: Path) -> None:
    src = pdfs.make_truncated(tmp_path / "truncated.pdf")
    dest = tmp_path / "repaired.pdf"
    with pytest.raises(RepairFailed) as caught:
        repair(src, dest)
    assert not dest.exists()
    assert isinstance(caught.value, InputError)
    assert caught.value.user_message().startswith("PDF ini terlalu rusak")


def test_downsample_fits_an_sscasn_upload(tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "scan.pdf", pages=2, image_bytes=2_000_000)
    before = src.read_bytes()
    dest = downsample_images(src, tmp_path / "small.pdf", SSCASN_LIMIT)
    assert src.read_bytes() == before
    assert dest.stat().st_size <= SSCASN_LIMIT
    report = preflight(dest)
    assert (report.findings, report.page_count) == ((), 2)
    with pikepdf.open(dest) as pdf:
        image = pdf.pages[0].Resources.XObject.Im0
        assert image.Filter == pikepdf.Name.DCTDecode


def test_downsample_that_cannot_fit_says_so(tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "scan.pdf", image_bytes=400_000)
    dest = tmp_path / "small.pdf"
    with pytest.raises(CannotFit) as caught:
        downsample_images(src, dest, 2_000)
    assert not dest.exists()
    assert "2 KB" in str(caught.value)
    assert "melebihi batas 2 KB" in caught.value.user_message()
    assert not list(tmp_path.glob(".meterai-tmp-*"))


def test_downsample_without_images(tmp_path: Path) -> None:
    src = pdfs.make_padded(tmp_path / "padded.pdf", 50_000)
    with pytest.raises(CannotFit) as caught:
        downsample_images(src, tmp_path / "small.pdf", 10_000)
    i18n.set_language("en")
    assert "no images" in caught.value.user_message()


def test_auto_fixes_normalise(tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "old.pdf", version="1.4")
    before = src.read_bytes()
    path, applied = apply_auto_fixes(src, preflight(src), tmp_path / "work")
    assert applied == (Fix.NORMALISE,)
    assert applied == ("normalise",)
    assert path.parent == tmp_path / "work"
    assert preflight(path).findings == ()
    assert src.read_bytes() == before


def test_auto_fixes_chain_repair_then_normalise(tmp_path: Path) -> None:
    src = pdfs.make_broken_startxref(tmp_path / "old.pdf", version="1.3")
    result = apply_fixes(src, preflight(src), tmp_path / "work")
    assert result.applied == (Fix.REPAIR, Fix.NORMALISE)
    assert result.report.findings == ()
    assert result.report.path == result.path


def test_auto_fixes_never_downsample(tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "scan.pdf", image_bytes=900_000)
    report = preflight(src, "sscasn")
    assert apply_auto_fixes(src, report, tmp_path / "work") == (src, ())


def test_downsample_when_asked_fits_the_target(tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "scan.pdf", version="1.5", image_bytes=1_500_000)
    report = preflight(src, "sscasn")
    assert set(report.codes) == {Code.OLD_VERSION, Code.TOO_LARGE}
    result = apply_fixes(src, report, tmp_path / "work", allow=set(Fix))
    assert result.applied == (Fix.NORMALISE, Fix.DOWNSAMPLE)
    assert result.report.ok and result.report.target == "sscasn"
    assert result.report.size <= SSCASN_LIMIT


def test_nothing_to_fix_returns_the_original(tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "plain.pdf")
    assert apply_auto_fixes(src, preflight(src), tmp_path / "work") == (src, ())


def test_unfixable_findings_are_left_for_the_user(tmp_path: Path) -> None:
    src = pdfs.make_truncated(tmp_path / "truncated.pdf")
    result = apply_fixes(src, preflight(src), tmp_path / "work", allow=set(Fix))
    assert (result.path, result.applied) == (src, ())
    assert result.report.codes == (Code.DAMAGED,)


def test_same_named_documents_do_not_collide(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = pdfs.make_pdf(tmp_path / "a" / "doc.pdf", version="1.3", pages=1)
    second = pdfs.make_pdf(tmp_path / "b" / "doc.pdf", version="1.3", pages=2)
    path1, _ = apply_auto_fixes(first, preflight(first), work)
    path2, _ = apply_auto_fixes(second, preflight(second), work)
    assert path1 != path2
    assert (preflight(path1).page_count, preflight(path2).page_count) == (1, 2)


def test_repair_of_a_file_cut_short_writes_a_trailer_with_size(tmp_path: Path) -> None:
    """Escaped bug (issue 13, 3): qpdf rebuilt the trailer of a file cut short without
    /Size and wrote it so; pyHanko, what signs, refused the "repaired" file after payment."""
    src = pdfs.make_truncated_xref(tmp_path / "cut.pdf")
    dest = repair(src, tmp_path / "repaired.pdf")
    data = dest.read_bytes()
    assert b"/Size " in data[data.rindex(b"trailer") :]
    assert readers_agree(dest) == ()


@pytest.mark.parametrize("make", [pdfs.make_without_size, pdfs.make_offset_off])
def test_the_rewrite_is_read_cleanly_by_every_reader(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    src = make(tmp_path / "flawed.pdf")
    result = apply_fixes(src, preflight(src), tmp_path / "work")
    assert result.applied == (Fix.REPAIR,)
    assert result.report.findings == ()
    assert readers_agree(result.path, thorough=True) == ()
    assert page_contents(result.path) == page_contents(src)


def test_a_flaw_the_rewrite_keeps_is_refused_with_the_reprint_advice(tmp_path: Path) -> None:
    src = pdfs.make_unreadable_box(tmp_path / "box.pdf")
    result = apply_fixes(src, preflight(src), tmp_path / "work")
    assert result.applied == (Fix.REPAIR,)
    (damaged,) = [f for f in result.report.blocking if f.code is Code.DAMAGED]
    assert damaged.fix is None
    assert "print it to PDF again" in damaged.message.text("en")
    assert "cetak ulang ke PDF" in damaged.message.text("id")
