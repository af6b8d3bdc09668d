from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from meterai import i18n
from meterai.documents import (
    CannotFit,
    Code,
    Fix,
    RepairFailed,
    apply_auto_fixes,
    apply_fixes,
    downsample_images,
    fit_to_a4,
    normalise_version,
    preflight,
    repair,
)
from meterai.documents.readers import readers_agree
from meterai.errors import InputError
from tests.support import pdfs, seen

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
    assert str(caught.value).startswith("The PDF is too damaged to repair")


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


# --- fit to A4 (issue 18 item 5) -------------------------------------------------------

LETTER = (612.0, 792.0)
LEGAL_LANDSCAPE = (1008.0, 612.0)


def _ink_box(image: Image.Image) -> tuple[float, float, float, float]:
    """Where anything dark is drawn, in points at ``seen.DPI``, top-left origin."""
    box = image.convert("L").point(lambda v: 255 if v < 128 else 0).getbbox()
    assert box is not None
    x1, y1, x2, y2 = (v / seen.SCALE for v in box)
    return x1, y1, x2, y2


@pytest.mark.skipif(seen.PDFTOPPM is None, reason="pdftoppm (poppler-utils) is not installed")
@pytest.mark.parametrize(
    ("size", "rotate", "crop"),
    [
        (LETTER, 0, None),
        (LEGAL_LANDSCAPE, 0, None),
        (LETTER, 90, None),
        (LEGAL_LANDSCAPE, 270, (40.0, 30.0, 900.0, 590.0)),
    ],
)
def test_fit_to_a4_shows_the_same_page_scaled_and_centred_on_a4(
    tmp_path: Path,
    size: tuple[float, float],
    rotate: int,
    crop: tuple[float, float, float, float] | None,
) -> None:
    """Checked on what poppler shows: the page as viewed keeps its orientation, becomes A4,
    and its ink is where the original's is, scaled by one factor and centred."""
    src = pdfs.make_pdf(tmp_path / "odd.pdf", size=size, rotate=rotate, cropbox=crop)
    report = preflight(src, "sscasn")
    assert report.finding(Code.NOT_A4) is not None
    assert report.finding(Code.NOT_A4).fix is Fix.FIT_A4  # type: ignore[union-attr]

    result = apply_fixes(src, report, tmp_path / "work")

    assert result.applied == (Fix.FIT_A4,)
    assert result.report.findings == ()
    before = seen.render(src, 1, tmp_path / "before")
    after = seen.render(result.path, 1, tmp_path / "after")
    vw, vh = before.width / seen.SCALE, before.height / seen.SCALE
    aw, ah = after.width / seen.SCALE, after.height / seen.SCALE
    assert sorted((aw, ah)) == pytest.approx([595.28, 841.89], abs=1)
    assert (aw > ah) == (vw > vh)
    scale = min(aw / vw, ah / vh)
    dx, dy = (aw - scale * vw) / 2, (ah - scale * vh) / 2
    expected = [v * scale + (dx, dy)[i % 2] for i, v in enumerate(_ink_box(before))]
    assert _ink_box(after) == pytest.approx(expected, abs=1.5)


def test_fit_to_a4_keeps_the_content_stream_and_moves_links_with_it(tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "letter.pdf", size=LETTER)
    with pikepdf.open(src, allow_overwriting_input=True) as pdf:
        link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link)
        link.Rect = [36, 36, LETTER[0] - 36, LETTER[1] - 36]  # over the drawn frame
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))
        pdf.save(src)
    (content,) = page_contents(src)

    dest = fit_to_a4(src, tmp_path / "a4.pdf")

    with pikepdf.open(dest) as pdf:
        page = pdf.pages[0].obj
        streams = [stream.read_bytes() for stream in page.Contents]
        rect = [float(v) for v in page.Annots[0].Rect]
        assert [float(v) for v in page.MediaBox] == [0, 0, 595.28, 841.89]
    assert streams[1] == content  # the page's own drawing, byte for byte
    scale = min(595.28 / LETTER[0], 841.89 / LETTER[1])
    dy = (841.89 - scale * LETTER[1]) / 2
    frame = [36 * scale, 36 * scale + dy, (LETTER[0] - 36) * scale, (LETTER[1] - 36) * scale + dy]
    assert rect == pytest.approx(frame, abs=0.01)


def test_fit_to_a4_leaves_a4_pages_alone(tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "mixed.pdf", pages=2)
    with pikepdf.open(src, allow_overwriting_input=True) as pdf:
        pdf.pages[1].obj.MediaBox = [0, 0, *LETTER]
        pdf.save(src)
    before = page_contents(src)
    dest = fit_to_a4(src, tmp_path / "a4.pdf")
    with pikepdf.open(dest) as pdf:
        first = pdf.pages[0].obj
        assert first.Contents.read_bytes() == before[0]
        assert [float(v) for v in first.MediaBox] == [0, 0, *pdfs.A4]
    assert preflight(dest, "sscasn").findings == ()


def test_fit_to_a4_runs_only_for_a_target_that_requires_a4(tmp_path: Path) -> None:
    src = pdfs.make_pdf(tmp_path / "letter.pdf", size=LETTER)
    assert apply_auto_fixes(src, preflight(src, "provider"), tmp_path / "work") == (src, ())
