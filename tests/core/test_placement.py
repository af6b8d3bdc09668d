"""Placement on real PDFs: the visual/user-space mapping is checked against poppler's pixels."""

from __future__ import annotations

import ast
import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from meterai import i18n
from meterai.errors import PlacementError
from meterai.placement import (
    DEFAULT_MARGIN_PT,
    EPSILON_PT,
    STAMP_DEFAULT_PT,
    STAMP_LIMIT_PT,
    STAMP_MIN_PT,
    Anchor,
    PageGeometry,
    Placement,
    Rect,
    Rotation,
    Spot,
    anchored_placement,
    default_placement,
    last_page_geometry,
    page_count,
    page_geometry,
    resolve_page,
    user_to_visual,
    validate,
    visual_to_user,
)
from tests.support.pdfs import A4, make_garbage, make_pdf, make_zero_pages, write_objects

ROTATIONS: tuple[Rotation, ...] = (0, 90, 180, 270)
CROP = (50.0, 60.0, 545.0, 800.0)  # 495 × 740, off-centre on A4 so a wrong origin shows
FRACTIONAL_CROP = (30.5, 41.25, 520.75, 790.5)
OVERSIZED_CROP = (-50.0, 100.0, 500.0, 900.0)  # viewers clip it to the MediaBox
PLACEMENT_SOURCE = Path(__file__).parents[2] / "core" / "meterai" / "placement.py"
PLACEMENT_PO = PLACEMENT_SOURCE.parent / "locale" / "id" / "LC_MESSAGES" / "placement.po"


def close(a: Rect, b: Rect, tol: float = 1e-6) -> bool:
    pairs = zip((a.x1, a.y1, a.x2, a.y2), (b.x1, b.y1, b.x2, b.y2), strict=True)
    return all(math.isclose(p, q, abs_tol=tol) for p, q in pairs)


def geometry(rotate: Rotation = 0, crop: tuple[float, ...] = CROP) -> PageGeometry:
    return PageGeometry(0, Rect(0, 0, *A4), Rect(*crop), rotate)


@pytest.fixture
def indonesian() -> Iterator[None]:
    before = i18n.current_language()
    i18n.set_language("id")
    yield
    i18n.set_language(before)


# --- Rect ------------------------------------------------------------------------------


def test_rect_normalises_corners_given_in_any_order() -> None:
    rect = Rect(100, 80, 20, 10)
    assert (rect.x1, rect.y1, rect.x2, rect.y2) == (20, 10, 100, 80)
    assert (rect.width, rect.height) == (80, 70)


def test_rect_refuses_non_finite_coordinates_as_a_bug() -> None:
    with pytest.raises(ValueError):
        Rect(0, 0, math.nan, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("450,40,522,112", Rect(450, 40, 522, 112)),
        (" 450 , 40.5 ,522, 112 ", Rect(450, 40.5, 522, 112)),
        ("522,112,450,40", Rect(450, 40, 522, 112)),
        ("-10,-20,30,40", Rect(-10, -20, 30, 40)),
    ],
)
def test_rect_parse_reads_the_cli_form(text: str, expected: Rect) -> None:
    assert Rect.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["", "1,2,3", "1,2,3,4,5", "a,b,c,d", "1;2;3;4", "1,2,3,nan", "1,2,inf,4", "1 2 3 4"]
)
def test_rect_parse_rejects_bad_text_with_a_placement_error(text: str) -> None:
    with pytest.raises(PlacementError) as info:
        Rect.parse(text)
    assert info.value.params == {"text": text}
    assert "X1,Y1,X2,Y2" in str(info.value)


def test_rect_str_is_parseable() -> None:
    rect = Rect(450, 40.25, 522, 112.5)
    assert str(rect) == "450,40.25,522,112.5"
    assert Rect.parse(str(rect)) == rect


# --- resolve_page ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"), [("last", 4), (" LAST ", 4), (1, 0), (5, 4), ("2", 1), ("05", 4)]
)
def test_resolve_page_gives_a_zero_based_index(spec: str | int, expected: int) -> None:
    assert resolve_page(spec, 5) == expected


@pytest.mark.parametrize("spec", [0, -1, "0", "-1", "1.5", "first", "", "²"])
def test_resolve_page_rejects_what_is_not_a_page_number(spec: str | int) -> None:
    with pytest.raises(PlacementError, match="not a page"):
        resolve_page(spec, 5)


@pytest.mark.parametrize("spec", [6, "6"])
def test_resolve_page_rejects_a_page_past_the_end(spec: str | int) -> None:
    with pytest.raises(PlacementError, match="no page 6: the last page is 5"):
        resolve_page(spec, 5)


def test_resolve_page_on_an_empty_document() -> None:
    with pytest.raises(PlacementError, match="no pages"):
        resolve_page("last", 0)


# --- reading pages ---------------------------------------------------------------------


def test_page_without_cropbox_uses_the_mediabox(tmp_path: Path) -> None:
    geom = page_geometry(make_pdf(tmp_path / "a.pdf"), 0)
    assert geom == PageGeometry(0, Rect(0, 0, *A4), Rect(0, 0, *A4), 0)
    assert geom.visual_size == A4


@pytest.mark.parametrize(
    ("raw", "rotate", "size"),
    [(0, 0, (495, 740)), (90, 90, (740, 495)), (180, 180, (495, 740)), (270, 270, (740, 495)),
     (-90, 270, (740, 495)), (450, 90, (740, 495)), (-180, 180, (495, 740))],
)  # fmt: skip
def test_rotation_is_normalised_and_swaps_the_visual_size(
    tmp_path: Path, raw: int, rotate: int, size: tuple[float, float]
) -> None:
    geom = page_geometry(make_pdf(tmp_path / "r.pdf", rotate=raw, cropbox=CROP), 0)
    assert geom.rotate == rotate
    assert geom.cropbox == Rect(*CROP)
    assert geom.visual_size == size


@pytest.mark.parametrize("raw", [45, 100, -30])
def test_rotation_not_a_multiple_of_90_is_refused(tmp_path: Path, raw: int) -> None:
    pdf = make_pdf(tmp_path / "r.pdf", pages=2, rotate=raw)
    with pytest.raises(PlacementError, match="not a multiple of 90") as info:
        page_geometry(pdf, 1)
    assert info.value.params == {"page": 2, "rotate": str(raw)}


def _write_inheriting_pdf(path: Path) -> Path:
    """Boxes and /Rotate only on the page tree node; written by hand, as pikepdf/qpdf and
    pypdf both push inherited attributes down into the pages when they save."""
    crop = " ".join(f"{v:g}" for v in CROP)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /Rotate 90"
        f" /MediaBox [0 0 595 842] /CropBox [{crop}] >>".encode(),
        b"<< /Type /Page /Parent 2 0 R /Resources << >> >>",
        b"<< /Type /Page /Parent 2 0 R /Resources << >> >>",
    ]
    return write_objects(path, objects)


def test_rotate_and_boxes_inherited_from_the_page_tree(tmp_path: Path) -> None:
    geom = page_geometry(_write_inheriting_pdf(tmp_path / "inherited.pdf"), 1)
    assert geom == PageGeometry(1, Rect(0, 0, *A4), Rect(*CROP), 90)


def test_cropbox_is_clipped_to_the_mediabox(tmp_path: Path) -> None:
    geom = page_geometry(make_pdf(tmp_path / "c.pdf", cropbox=OVERSIZED_CROP), 0)
    assert geom.cropbox == Rect(0, 100, 500, 842)


def test_cropbox_outside_the_mediabox_leaves_nothing_visible(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "c.pdf", cropbox=(700, 0, 900, 200))
    with pytest.raises(PlacementError, match="no visible area"):
        page_geometry(pdf, 0)


def test_page_geometry_out_of_range(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", pages=3)
    assert page_count(pdf) == 3
    with pytest.raises(PlacementError, match="no page 4: the last page is 3"):
        page_geometry(pdf, 3)


def test_last_page_geometry_of_an_empty_document(tmp_path: Path) -> None:
    with pytest.raises(PlacementError, match="no pages"):
        last_page_geometry(make_zero_pages(tmp_path / "empty.pdf"))


def test_unreadable_file_is_a_placement_error(tmp_path: Path) -> None:
    with pytest.raises(PlacementError, match=r"pages of junk\.pdf cannot be read"):
        page_geometry(make_garbage(tmp_path / "junk.pdf"), 0)


# --- visual frame <-> user space -------------------------------------------------------

# A visual point and where it must land, worked out by hand from a page turned clockwise.
HAND_WORKED = [
    (0, (10, 20), (60, 780)),
    (90, (10, 20), (70, 70)),
    (180, (10, 20), (535, 80)),
    (270, (10, 20), (525, 790)),
]


@pytest.mark.parametrize(("rotate", "visual", "user"), HAND_WORKED)
def test_visual_point_lands_where_worked_out_by_hand(
    rotate: Rotation, visual: tuple[float, float], user: tuple[float, float]
) -> None:
    x, y = visual
    rect = visual_to_user(Rect(x, y, x + 100, y + 50), geometry(rotate))
    corners = {(rect.x1, rect.y1), (rect.x1, rect.y2), (rect.x2, rect.y1), (rect.x2, rect.y2)}
    assert user in corners


@pytest.mark.parametrize("rotate", ROTATIONS)
def test_whole_visual_page_is_the_cropbox(rotate: Rotation) -> None:
    geom = geometry(rotate)
    assert visual_to_user(Rect(0, 0, *geom.visual_size), geom) == geom.cropbox
    assert user_to_visual(geom.cropbox, geom) == Rect(0, 0, *geom.visual_size)


coordinates = st.floats(-3000, 3000, allow_nan=False, allow_infinity=False)
extents = st.floats(1, 5000, allow_nan=False, allow_infinity=False)


@st.composite
def page_and_visual_rect(draw: st.DrawFn, rotate: Rotation) -> tuple[PageGeometry, Rect]:
    llx, lly, width, height = draw(coordinates), draw(coordinates), draw(extents), draw(extents)
    crop = Rect(llx, lly, llx + width, lly + height)
    geom = PageGeometry(draw(st.integers(0, 500)), Rect(-5000, -5000, 5000, 5000), crop, rotate)
    vw, vh = geom.visual_size
    xs = [draw(st.floats(0, vw)) for _ in range(2)]
    ys = [draw(st.floats(0, vh)) for _ in range(2)]
    return geom, Rect(xs[0], ys[0], xs[1], ys[1])


@pytest.mark.parametrize("rotate", ROTATIONS)
@given(data=st.data())
def test_conversions_are_exact_inverses(rotate: Rotation, data: st.DataObject) -> None:
    geom, visual = data.draw(page_and_visual_rect(rotate))
    user = visual_to_user(visual, geom)
    assert geom.cropbox.contains(user, 1e-6)
    assert close(user_to_visual(user, geom), visual)
    assert close(visual_to_user(user_to_visual(user, geom), geom), user)
    assert math.isclose(
        user.width * user.height, visual.width * visual.height, rel_tol=1e-6, abs_tol=1e-6
    )


@pytest.fixture(scope="module")
def real_pages(tmp_path_factory: pytest.TempPathFactory) -> list[PageGeometry]:
    folder = tmp_path_factory.mktemp("real")
    return [
        page_geometry(make_pdf(folder / f"{rotate}-{i}.pdf", rotate=rotate, cropbox=crop), 0)
        for rotate in ROTATIONS
        for i, crop in enumerate((CROP, FRACTIONAL_CROP, OVERSIZED_CROP))
    ]


@given(data=st.data())
def test_round_trip_on_pages_read_from_real_pdfs(
    real_pages: list[PageGeometry], data: st.DataObject
) -> None:
    geom = data.draw(st.sampled_from(real_pages))
    vw, vh = geom.visual_size
    x1, x2 = data.draw(st.floats(0, vw)), data.draw(st.floats(0, vw))
    y1, y2 = data.draw(st.floats(0, vh)), data.draw(st.floats(0, vh))
    visual = Rect(x1, y1, x2, y2)
    assert close(user_to_visual(visual_to_user(visual, geom), geom), visual)


# --- validate --------------------------------------------------------------------------


def square_at(x: float, y: float, side: float = 72) -> Placement:
    return Placement(0, Rect(x, y, x + side, y + side))


@pytest.mark.parametrize("rotate", ROTATIONS)
def test_validate_accepts_a_stamp_flush_with_each_corner(rotate: Rotation) -> None:
    geom = geometry(rotate)
    (x1, y1, x2, y2), side = CROP, 72
    for x, y in [(x1, y1), (x2 - side, y1), (x1, y2 - side), (x2 - side, y2 - side)]:
        validate(square_at(x, y, side), geom)


def test_validate_allows_float_noise_at_the_edge() -> None:
    validate(square_at(CROP[0] - EPSILON_PT / 2, 100, STAMP_MIN_PT - EPSILON_PT / 2), geometry())


@pytest.mark.parametrize("side", [STAMP_MIN_PT, 72, 100, 150, STAMP_LIMIT_PT])
def test_validate_accepts_sizes_in_range(side: float) -> None:
    validate(square_at(100, 100, side), geometry())


@pytest.mark.parametrize(
    ("rect", "pattern"),
    [
        (Rect(100, 100, 150, 150), "The stamp is 50 × 50 pt; each side must be at least 54 pt"),
        (Rect(100, 100, 180, 153), "at least 54 pt"),
        (Rect(100, 100, 310, 310), "The stamp is 210 × 210 pt; each side must be at most 200 pt"),
        (Rect(100, 100, 172, 190), "72 × 90 pt; it must be square"),
        (Rect(500, 300, 572, 372), "reaches outside page 1, whose visible area is 495 × 740 pt"),
        (Rect(100, 10, 172, 82), "reaches outside page 1"),  # inside the MediaBox, not the crop
        (Rect(1000, 1000, 1072, 1072), "reaches outside page 1"),
    ],
)
def test_validate_names_the_problem(rect: Rect, pattern: str) -> None:
    with pytest.raises(PlacementError, match=re.escape(pattern)):
        validate(Placement(0, rect), geometry())


def test_validate_tolerates_a_slightly_skewed_square() -> None:
    validate(Placement(0, Rect(100, 100, 172, 175)), geometry())


def test_validate_reports_the_visual_size_of_a_turned_page() -> None:
    with pytest.raises(PlacementError, match=r"740 × 495 pt"):
        validate(square_at(0, 0), geometry(90))


def test_validate_against_another_page_is_a_bug() -> None:
    with pytest.raises(ValueError):
        validate(Placement(1, Rect(100, 100, 172, 172)), geometry())


def test_placement_errors_are_translated(indonesian: None) -> None:
    with pytest.raises(PlacementError) as info:
        validate(Placement(0, Rect(100, 100, 150, 150)), geometry())
    assert info.value.user_message() == (
        "Meterai berukuran 50 × 50 pt; setiap sisi harus minimal 54 pt."
    )


def _msgids_in_source() -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(PLACEMENT_SOURCE.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            first = node.args[0] if node.func.id in {"_", "N_"} and node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def test_every_message_has_an_indonesian_translation_with_the_same_placeholders() -> None:
    with PLACEMENT_PO.open("rb") as fh:
        catalog = read_po(fh, locale="id")
    assert catalog.plural_forms == "nplurals=1; plural=0;"
    translated = {str(m.id): str(m.string) for m in catalog if m.id}
    source = _msgids_in_source()
    assert source, "no messages found: the extraction in this test is broken"
    assert source == set(translated)
    fields = re.compile(r"\{[^}]*\}")
    for msgid in source:
        assert translated[msgid], msgid
        assert sorted(fields.findall(msgid)) == sorted(fields.findall(translated[msgid])), msgid


# --- default placement -----------------------------------------------------------------

# User-space rectangles worked out by hand for CROP: bottom-right as seen is a different
# user-space corner for each rotation.
DEFAULTS_ON_CROP = {
    0: Rect(437, 96, 509, 168),
    90: Rect(437, 692, 509, 764),
    180: Rect(86, 692, 158, 764),
    270: Rect(86, 96, 158, 168),
}


@pytest.mark.parametrize("rotate", ROTATIONS)
def test_default_is_bottom_right_as_seen_on_a_cropped_page(
    tmp_path: Path, rotate: Rotation
) -> None:
    pdf = make_pdf(tmp_path / "d.pdf", pages=3, rotate=rotate, cropbox=CROP)
    placement = default_placement(pdf)
    assert placement == Placement(2, DEFAULTS_ON_CROP[rotate])
    geom = page_geometry(pdf, 2)
    vw, vh = geom.visual_size
    edge = DEFAULT_MARGIN_PT + STAMP_DEFAULT_PT
    expected = Rect(vw - edge, vh - edge, vw - DEFAULT_MARGIN_PT, vh - DEFAULT_MARGIN_PT)
    assert user_to_visual(placement.rect, geom) == expected


@pytest.mark.parametrize("rotate", ROTATIONS)
def test_default_on_an_uncropped_page(rotate: Rotation) -> None:
    geom = PageGeometry(0, Rect(0, 0, *A4), Rect(0, 0, *A4), rotate)
    vw, vh = geom.visual_size
    visual = user_to_visual(default_placement(geom).rect, geom)
    assert visual == Rect(vw - 108, vh - 108, vw - 36, vh - 36)


def test_default_follows_the_last_page_not_the_first(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "mixed.pdf", pages=3)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[2].Rotate = 90
        pdf.save(path)
    assert default_placement(path) == Placement(2, Rect(487, 734, 559, 806))


def test_default_takes_size_and_margin() -> None:
    geom = geometry(0)
    placement = default_placement(geom, size=100, margin=20)
    assert placement.rect == Rect(545 - 120, 60 + 20, 545 - 20, 60 + 120)


def test_default_shrinks_the_margin_on_a_small_page() -> None:
    geom = PageGeometry(4, Rect(0, 0, *A4), Rect(10, 10, 100, 200), 90)
    placement = default_placement(geom)
    assert placement.page_index == 4
    assert user_to_visual(placement.rect, geom) == Rect(190 - 36 - 72, 9, 190 - 36, 81)


def test_default_on_a_page_smaller_than_the_stamp() -> None:
    geom = PageGeometry(0, Rect(0, 0, *A4), Rect(0, 0, 60, 60), 0)
    with pytest.raises(PlacementError, match="reaches outside page 1"):
        default_placement(geom)


# --- --at and --rect: the page as shown ------------------------------------------------

_EDGE = DEFAULT_MARGIN_PT + STAMP_DEFAULT_PT


def _shown_corners(width: float, height: float) -> dict[Anchor, Rect]:
    """Each anchor's square, worked out by hand in the frame the user sees."""
    m, e = DEFAULT_MARGIN_PT, _EDGE
    cx, cy = (width - STAMP_DEFAULT_PT) / 2, (height - STAMP_DEFAULT_PT) / 2
    return {
        Anchor.TOP_LEFT: Rect(m, m, e, e),
        Anchor.TOP_RIGHT: Rect(width - e, m, width - m, e),
        Anchor.BOTTOM_LEFT: Rect(m, height - e, e, height - m),
        Anchor.BOTTOM_RIGHT: Rect(width - e, height - e, width - m, height - m),
        Anchor.CENTER: Rect(cx, cy, cx + STAMP_DEFAULT_PT, cy + STAMP_DEFAULT_PT),
    }


@pytest.mark.parametrize("rotate", ROTATIONS)
@pytest.mark.parametrize("at", list(Anchor))
def test_each_anchor_is_that_corner_of_the_page_as_shown(rotate: Rotation, at: Anchor) -> None:
    geom = geometry(rotate)
    placement = anchored_placement(geom, at)
    assert close(user_to_visual(placement.rect, geom), _shown_corners(*geom.visual_size)[at])


def test_the_default_spot_is_the_default_placement() -> None:
    geom = geometry(90)
    assert Spot().placement(geom) == default_placement(geom)


@pytest.mark.parametrize("rotate", ROTATIONS)
def test_a_shown_rect_is_measured_from_the_top_left_as_seen(rotate: Rotation) -> None:
    geom = geometry(rotate)
    shown = Rect(100, 50, 180, 130)
    placement = Spot(shown=shown).placement(geom)
    assert placement == Placement(0, visual_to_user(shown, geom))
    assert close(user_to_visual(placement.rect, geom), shown)


def test_a_shown_rect_off_the_visible_page_is_refused() -> None:
    geom = geometry(90)  # 740 × 495 as shown: y = 450 is still inside, 530 is not
    with pytest.raises(PlacementError, match="reaches outside page 1"):
        Spot(shown=Rect(100, 450, 180, 530)).placement(geom)


# --- what a renderer really shows ------------------------------------------------------

PDFTOPPM = shutil.which("pdftoppm")


def _fill_boxes(path: Path, boxes: list[Rect]) -> None:
    """Replace each page's content by one black box, so nothing else renders dark."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        for page, box in zip(pdf.pages, boxes, strict=True):
            ops = f"0 0 0 rg {box.x1} {box.y1} {box.width} {box.height} re f\n"
            page.Contents = pdf.make_stream(ops.encode())
        pdf.save(path)


def _dark_bbox(png: Path) -> tuple[tuple[int, int], Rect]:
    with Image.open(png) as image:
        gray = image.convert("L")
        box = gray.point(lambda v: 255 if v < 128 else 0).getbbox()
        assert box is not None, f"{png.name} has no dark pixels"
        return gray.size, Rect(*box)


@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) is not installed")
@pytest.mark.parametrize("crop", [CROP, FRACTIONAL_CROP, OVERSIZED_CROP])
@pytest.mark.parametrize("rotate", ROTATIONS)
def test_rendered_box_is_where_the_user_put_it(
    tmp_path: Path, rotate: Rotation, crop: tuple[float, ...]
) -> None:
    path = make_pdf(tmp_path / "p.pdf", pages=2, rotate=rotate, cropbox=crop)
    geom = page_geometry(path, 0)
    # The default (square, bottom-right) and an oblong box near the top-left: a swapped
    # axis or a flipped direction moves or reshapes at least one of them.
    visuals = [user_to_visual(default_placement(geom).rect, geom), Rect(20, 40, 80, 130)]
    _fill_boxes(path, [visual_to_user(v, geom) for v in visuals])
    assert PDFTOPPM is not None
    subprocess.run(
        [PDFTOPPM, "-r", "72", "-png", "-cropbox", str(path), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=30,
    )
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 2
    vw, vh = geom.visual_size
    for png, visual in zip(pngs, visuals, strict=True):
        (width, height), dark = _dark_bbox(png)
        assert abs(width - vw) <= 1 and abs(height - vh) <= 1, (png.name, (width, height))
        assert close(dark, visual, tol=1.5), (png.name, dark, visual)
