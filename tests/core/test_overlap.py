"""What lies under the stamp, on real PDFs; poppler's pixels are the independent witness."""

from __future__ import annotations

import threading
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import ImageChops

from meterai import i18n, overlap
from meterai.documents.preflight import Code, Severity
from meterai.errors import PlacementError
from meterai.messages import Message
from meterai.overlap import (
    CODES,
    COVERS,
    MOVED_TEXT,
    NO_FREE_SPOT_TEXT,
    UNCHECKED_TEXT,
    StampCoversContent,
    check_placement,
    cover_finding,
    covers,
    free_spot,
    read_area,
    read_page,
)
from meterai.placement import (
    PageGeometry,
    Placement,
    Rect,
    Rotation,
    default_placement,
    page_geometry,
    user_to_visual,
    visual_to_user,
)
from tests.support.content import PDFTOPPM, Things, make_page, poppler_ink
from tests.support.pdfs import make_pdf

needs_poppler = pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) missing")

# The default box on A4: bottom-right, 36 pt margin, 72 pt square (user space).
DEFAULT = Rect(487, 36, 559, 108)
INSIDE = Rect(500, 50, 546, 95)  # well inside DEFAULT
FAR = Rect(72, 700, 160, 730)  # top-left, nowhere near it


def default_of(path: Path) -> tuple[PageGeometry, Placement]:
    geometry = page_geometry(path, 0)
    return geometry, default_placement(geometry)


def covered(path: Path) -> tuple[Code, ...]:
    """What the default box hides, asked of the whole page and of the box's area alone:
    intake draws only the area, the add dialog the whole page; both must answer alike."""
    geometry, placement = default_of(path)
    visual = user_to_visual(placement.rect, geometry)
    whole = covers(read_page(path, geometry), visual)
    assert covers(read_area(path, geometry, visual), visual) == whole
    return whole


# --- what is found ------------------------------------------------------------------------


def test_an_empty_corner_is_clear_though_the_frame_touches_the_box(tmp_path: Path) -> None:
    """``make_pdf``'s frame line runs along the default box's edges: touching, not covering."""
    path = make_pdf(tmp_path / "plain.pdf")
    assert covered(path) == ()


@pytest.mark.parametrize(
    ("things", "code"),
    [
        (Things(text=[INSIDE]), Code.STAMP_COVERS_TEXT),
        (Things(image=[INSIDE]), Code.STAMP_COVERS_IMAGE),
        (Things(drawing=[INSIDE]), Code.STAMP_COVERS_DRAWING),
        (Things(signature_field=[INSIDE]), Code.STAMP_COVERS_SIGNATURE),
        (Things(form_field=[INSIDE]), Code.STAMP_COVERS_FORM_FIELD),
        (Things(ink_annotation=[INSIDE]), Code.STAMP_COVERS_ANNOTATION),
        (Things(in_form_xobject=[INSIDE]), Code.STAMP_COVERS_DRAWING),
    ],
    ids=["text", "image", "drawing", "signature", "form-field", "ink-annotation", "nested"],
)
def test_each_kind_under_the_box_is_named(tmp_path: Path, things: Things, code: Code) -> None:
    path = make_page(tmp_path / "p.pdf", things)
    assert covered(path) == (code,)


@pytest.mark.parametrize(
    "things",
    [
        Things(text=[FAR]),
        Things(image=[FAR]),
        Things(drawing=[FAR]),
        Things(signature_field=[FAR]),
        Things(ink_annotation=[FAR]),
        Things(in_form_xobject=[FAR]),
    ],
    ids=["text", "image", "drawing", "signature", "ink-annotation", "nested"],
)
def test_the_same_things_elsewhere_leave_the_box_clear(tmp_path: Path, things: Things) -> None:
    assert covered(make_page(tmp_path / "p.pdf", things)) == ()


def test_a_nested_form_is_found_where_its_matrix_puts_it(tmp_path: Path) -> None:
    """A form XObject's contents are measured in its own space: the matrix moves them."""
    path = make_page(tmp_path / "p.pdf", Things(in_form_xobject=[Rect(300, 400, 350, 450)]))
    geometry = page_geometry(path, 0)
    content = read_page(path, geometry)
    at = user_to_visual(Rect(290, 390, 362, 462), geometry)
    origin = user_to_visual(Rect(0, 0, 72, 72), geometry)
    assert covers(content, at) == (Code.STAMP_COVERS_DRAWING,)
    assert covers(content, origin) == ()


def test_a_white_page_background_is_paper_not_drawing(tmp_path: Path) -> None:
    assert covered(make_page(tmp_path / "w.pdf", Things(white_background=True))) == ()
    with_text = make_page(tmp_path / "t.pdf", Things(white_background=True, text=[INSIDE]))
    assert covered(with_text) == (Code.STAMP_COVERS_TEXT,)


def test_a_grey_scans_paper_is_not_ink(tmp_path: Path) -> None:
    assert covered(make_page(tmp_path / "g.pdf", Things(grey_paper=True))) == ()
    with_text = make_page(tmp_path / "gt.pdf", Things(grey_paper=True, text=[INSIDE]))
    assert Code.STAMP_COVERS_TEXT in covered(with_text)


def test_a_tint_wider_than_the_boxs_neighbourhood_is_drawing_not_paper(tmp_path: Path) -> None:
    """A light grey panel larger than the area drawn around the box: the area alone would
    take the panel for the paper; the page's white paper says it is ink."""
    panel = b"0.8 g 250 0 345 400 re f 0 g\n"
    assert covered(make_page(tmp_path / "tint.pdf", Things(extra_content=panel))) == (
        Code.STAMP_COVERS_DRAWING,
    )


COLOURED_INK = (
    b"0.9 0.1 0.1 rg 440 50 30 30 re f 0.1 0.6 0.2 rg 480 50 30 30 re f "
    b"0.2 0.2 0.9 rg 520 50 30 30 re f 1 1 0 rg 440 90 110 20 re f "
    b"0.8 0 0.8 RG 3 w 440 120 m 550 150 l S 0 g\n"
)
"""Red, green, blue and magenta ink, and a yellow band light enough to pass for paper."""


def test_coloured_ink_is_drawn_grey_as_in_pdfiums_grey_mode(tmp_path: Path) -> None:
    """The check draws onto a grey bitmap rather than in PDFium's grey mode (which copies
    and converts every picture whole first); a colour picture and coloured ink under the
    box come out within rounding of that mode, so what counts as ink is unchanged."""
    path = make_pdf(tmp_path / "colour.pdf", image_bytes=30_000)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].contents_add(pdf.make_stream(COLOURED_INK))
        pdf.save(path)
    document = pdfium.PdfDocument(path)
    try:
        page = document[0]
        drawn = overlap._grey(page, overlap.SCALE)
        grey_mode = page.render(scale=overlap.SCALE, grayscale=True).to_pil()
        page.close()
    finally:
        document.close()
    assert drawn.mode == grey_mode.mode == "L" and drawn.size == grey_mode.size
    assert sum(1 for n in drawn.histogram() if n) > 100  # the picture: many greys
    assert ImageChops.difference(drawn, grey_mode).getextrema()[1] <= 2
    assert covered(path) == (Code.STAMP_COVERS_IMAGE, Code.STAMP_COVERS_DRAWING)


def test_several_kinds_are_listed_most_serious_first(tmp_path: Path) -> None:
    things = Things(text=[Rect(490, 40, 520, 60)], signature_field=[Rect(525, 70, 555, 100)])
    assert covered(make_page(tmp_path / "p.pdf", things)) == (
        Code.STAMP_COVERS_SIGNATURE,
        Code.STAMP_COVERS_TEXT,
    )


CROP = (50.0, 60.0, 545.0, 800.0)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_rotated_cropped_pages_are_checked_as_the_user_sees_them(
    tmp_path: Path, rotate: Rotation
) -> None:
    """Text drawn in user space exactly under the default box of a rotated, cropped page."""
    probe = make_page(tmp_path / "probe.pdf", Things(), rotate=rotate, cropbox=CROP)
    _geometry, placement = default_of(probe)
    r = placement.rect
    under = Rect(r.x1 + 12, r.y1 + 12, r.x2 - 12, r.y2 - 12)
    path = make_page(tmp_path / "p.pdf", Things(drawing=[under]), rotate=rotate, cropbox=CROP)
    assert covered(path) == (Code.STAMP_COVERS_DRAWING,)
    assert covered(probe) == ()


# --- the box's area alone ---------------------------------------------------------------


@pytest.mark.parametrize("rotate", [0, 90])
def test_the_area_is_drawn_pixel_for_pixel_as_on_the_whole_page(
    tmp_path: Path, rotate: int
) -> None:
    path = crowded(tmp_path, rotate)
    geometry, placement = default_of(path)
    visual = user_to_visual(placement.rect, geometry)
    whole, area = read_page(path, geometry), read_area(path, geometry, visual)
    assert area.ink.width * area.ink.height < whole.ink.width * whole.ink.height / 10
    x, y = area.origin
    window = whole.ink.crop((x, y, x + area.ink.width, y + area.ink.height))
    assert area.ink.histogram()[255] > 0
    assert ImageChops.difference(window, area.ink).getbbox() is None


def test_the_area_answers_only_for_what_was_drawn(tmp_path: Path) -> None:
    path = make_page(tmp_path / "p.pdf", Things(text=[INSIDE]))
    geometry, placement = default_of(path)
    visual = user_to_visual(placement.rect, geometry)
    area = read_area(path, geometry, visual)
    with pytest.raises(ValueError, match="outside"):
        covers(area, user_to_visual(FAR, geometry))
    with pytest.raises(ValueError, match="whole page"):
        free_spot(area, visual)


def test_the_page_s_paper_is_settled_only_when_it_could_change_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Intake's question gets ``read_area``'s answer on every kind of page; a dark picture
    under the box (a scan, bench_queue's noise) or black words on a grey scan are
    answered without drawing the whole page for its paper level; a grey scan's bare
    paper and a tint, where the level decides, still draw it."""
    drawn: list[float] = []
    real = overlap._grey

    def grey_counted(page: pdfium.PdfPage, scale: float, *args: object) -> object:
        drawn.append(scale)
        return real(page, scale, *args)  # type: ignore[arg-type]

    panel = b"0.8 g 250 0 345 400 re f 0 g\n"
    pages = {
        "noise.pdf": (make_pdf(tmp_path / "noise.pdf", image_bytes=200_000), False),
        "white.pdf": (make_page(tmp_path / "white.pdf", Things(text=[INSIDE])), False),
        "grey.pdf": (make_page(tmp_path / "grey.pdf", Things(grey_paper=True)), True),
        "grey-text.pdf": (
            make_page(tmp_path / "gt.pdf", Things(grey_paper=True, text=[INSIDE])),
            False,
        ),
        "tint.pdf": (make_page(tmp_path / "tint.pdf", Things(extra_content=panel)), True),
    }
    monkeypatch.setattr(overlap, "_grey", grey_counted)
    for name, (path, settles) in pages.items():
        geometry, placement = default_of(path)
        visual = user_to_visual(placement.rect, geometry)
        drawn.clear()
        answer = overlap.area_covers(path, geometry, visual)
        assert (overlap.PAPER_SCALE in drawn) == settles, name
        assert answer == covers(read_area(path, geometry, visual), visual), name
    noise = pages["noise.pdf"][0]
    assert Code.STAMP_COVERS_IMAGE in overlap.area_covers(noise, *_box_of(noise))


def _box_of(path: Path) -> tuple[PageGeometry, Rect]:
    geometry, placement = default_of(path)
    return geometry, user_to_visual(placement.rect, geometry)


def test_intake_draws_the_whole_page_only_to_search_for_a_free_spot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[Path | bytes] = []
    real = overlap.read_page

    def read_page_counted(source: Path | bytes, geometry: PageGeometry) -> overlap.PageContent:
        drawn.append(source)
        return real(source, geometry)

    monkeypatch.setattr(overlap, "read_page", read_page_counted)
    clear = make_pdf(tmp_path / "plain.pdf")
    hidden = make_page(tmp_path / "p.pdf", Things(text=[INSIDE]))
    assert check_placement(clear, default_of(clear)[1], auto=True).findings == ()
    assert check_placement(hidden, default_of(hidden)[1]).findings
    assert drawn == []
    assert check_placement(hidden, default_of(hidden)[1], auto=True).moved
    assert drawn == [hidden]


# --- the free spot ------------------------------------------------------------------------


def crowded(tmp_path: Path, rotate: int = 0) -> Path:
    """Six lines along the bottom of the page as seen, the default box among them: words on
    an upright page, filled bars on a turned one (upright words there would stand sideways)."""
    probe = make_page(tmp_path / "probe.pdf", Things(), rotate=rotate)
    geometry = page_geometry(probe, 0)
    width, height = geometry.visual_size
    lines = [
        visual_to_user(Rect(40, height - 54 - 20 * i, width - 35, height - 40 - 20 * i), geometry)
        for i in range(6)
    ]
    if rotate == 0:
        return make_page(tmp_path / "crowded.pdf", Things(text=lines))
    bars = "".join(f"0 g {b.x1} {b.y1} {b.width} {b.height} re f\n" for b in lines)
    return make_page(tmp_path / "crowded.pdf", Things(extra_content=bars.encode()), rotate=rotate)


@needs_poppler
@pytest.mark.parametrize("rotate", [0, 90])
def test_the_free_spot_is_near_keeps_the_size_and_poppler_sees_no_ink(
    tmp_path: Path, rotate: int
) -> None:
    path = crowded(tmp_path, rotate)
    geometry, placement = default_of(path)
    content = read_page(path, geometry)
    wanted = user_to_visual(placement.rect, geometry)
    assert covers(content, wanted)
    spot = free_spot(content, wanted)
    assert spot is not None
    assert (spot.width, spot.height) == (wanted.width, wanted.height)
    assert covers(content, spot) == ()
    assert poppler_ink(path, geometry, visual_to_user(spot, geometry), tmp_path) == 0
    # Near: the stamp did not wander to the far side of the page.
    width, height = geometry.visual_size
    assert abs(spot.x2 - wanted.x2) < width / 2 and abs(spot.y2 - wanted.y2) < height / 2


def test_the_free_spot_prefers_the_bottom_right_among_equally_near(tmp_path: Path) -> None:
    """A box in the middle of an empty page with a blot under it moves right or down."""
    blot = Rect(287, 411, 307, 431)
    path = make_page(tmp_path / "p.pdf", Things(drawing=[blot]))
    geometry = page_geometry(path, 0)
    content = read_page(path, geometry)
    wanted = user_to_visual(Rect(261, 385, 333, 457), geometry)
    spot = free_spot(content, wanted)
    assert spot is not None and covers(content, spot) == ()
    assert spot.x1 >= wanted.x1 and spot.y1 >= wanted.y1


def test_a_full_page_has_no_free_spot(tmp_path: Path) -> None:
    path = make_page(tmp_path / "full.pdf", Things(extra_content=b"0 g 0 0 595 842 re f\n"))
    geometry, placement = default_of(path)
    content = read_page(path, geometry)
    assert free_spot(content, user_to_visual(placement.rect, geometry)) is None


# --- intake's question --------------------------------------------------------------------


def test_check_placement_warns_and_keeps_the_box(tmp_path: Path) -> None:
    path = make_page(tmp_path / "p.pdf", Things(text=[INSIDE]))
    _geometry, placement = default_of(path)
    checked = check_placement(path, placement)
    assert checked.placement == placement
    assert [f.code for f in checked.findings] == [Code.STAMP_COVERS_TEXT]
    assert checked.findings[0].severity is Severity.WARNING


@needs_poppler
def test_check_placement_auto_moves_the_box_to_a_spot_poppler_sees_empty(
    tmp_path: Path,
) -> None:
    path = crowded(tmp_path)
    geometry, placement = default_of(path)
    checked = check_placement(path, placement, auto=True)
    assert checked.moved and checked.placement != placement
    assert [f.code for f in checked.findings] == [Code.STAMP_MOVED]
    assert poppler_ink(path, geometry, placement.rect, tmp_path) > 0
    assert poppler_ink(path, geometry, checked.placement.rect, tmp_path) == 0


def test_check_placement_auto_on_a_full_page_says_so_and_keeps_the_box(tmp_path: Path) -> None:
    path = make_page(tmp_path / "full.pdf", Things(extra_content=b"0 g 0 0 595 842 re f\n"))
    _geometry, placement = default_of(path)
    checked = check_placement(path, placement, auto=True)
    assert checked.placement == placement
    assert [f.code for f in checked.findings] == [Code.STAMP_COVERS_DRAWING, Code.NO_FREE_SPOT]


def test_strict_placement_refuses_naming_every_reason(tmp_path: Path) -> None:
    things = Things(text=[Rect(490, 40, 520, 60)], signature_field=[Rect(525, 70, 555, 100)])
    path = make_page(tmp_path / "p.pdf", things)
    _geometry, placement = default_of(path)
    with pytest.raises(StampCoversContent) as refused:
        check_placement(path, placement, strict=True)
    codes = [f.code for f in refused.value.findings]
    assert codes == [Code.STAMP_COVERS_SIGNATURE, Code.STAMP_COVERS_TEXT]
    english = refused.value.message().english()
    assert "p.pdf" in english and "signature field" in english and "covers text" in english


def test_strict_with_auto_queues_the_moved_box(tmp_path: Path) -> None:
    path = crowded(tmp_path)
    _geometry, placement = default_of(path)
    assert check_placement(path, placement, auto=True, strict=True).moved


def test_strict_placement_lets_a_clear_box_through(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "plain.pdf")
    _geometry, placement = default_of(path)
    assert check_placement(path, placement, strict=True).findings == ()


def test_a_page_pdfium_cannot_read_is_a_placement_error(tmp_path: Path) -> None:
    geometry = page_geometry(make_pdf(tmp_path / "plain.pdf"), 0)
    with pytest.raises(PlacementError, match="cannot be drawn"):
        read_page(b"%PDF-1.7\nnot really", geometry)


def test_reading_pages_from_many_threads_at_once_is_safe(tmp_path: Path) -> None:
    """PDFium is not thread-safe; the GUI reads pages on a pool while intake runs."""
    path = make_page(tmp_path / "p.pdf", Things(text=[INSIDE]))
    geometry, placement = default_of(path)
    results: list[tuple[Code, ...]] = []

    def read() -> None:
        content = read_page(path.read_bytes(), geometry)
        results.append(covers(content, user_to_visual(placement.rect, geometry)))

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == [(Code.STAMP_COVERS_TEXT,)] * 6


def test_every_finding_reads_in_both_languages(tmp_path: Path) -> None:

    messages = [cover_finding(code, 2).message for code in COVERS]
    messages += [Message(MOVED_TEXT, {"page": 2}), Message(NO_FREE_SPOT_TEXT, {"page": 2})]
    messages.append(Message(UNCHECKED_TEXT, {"page": 2, "detail": "x"}))
    for message in messages:
        english, indonesian = message.text("en"), message.text("id")
        assert english != indonesian and "{" not in english + indonesian
        assert "2" in english and "2" in indonesian
    assert i18n.current_language() == "id"  # Indonesian is the default: shown unless asked
    assert len(CODES) == len(COVERS) + 3
