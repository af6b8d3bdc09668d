"""What lies under the stamp: text, a picture, drawing, a signature or a form field.

The stamp must not hide what matters (BKN and Peruri: the e-Meterai does not cover the
content, and the hand signature does not lie under its QR code). The check runs before a
request is queued, so the user moves the box before a stamp is bought, not after.

Library: PDFium, through pypdfium2. Rendering the page answers the user's own question,
"is anything *visible* under the box?", for every way a PDF puts ink on a page (any font
technology, images, vector art, shadings, annotation appearances, content nested in form
XObjects), where a content-stream parser (pdfminer.six, pikepdf) would have to rebuild a
renderer's logic and would still count white-on-white or clipped-away objects as content.
PDFium is the engine QtPdf draws the add dialog's preview with, so "ink" here is exactly
what the user sees there; the same library's text boxes, page objects and annotations
then say *what* the ink is, so the warning names it. pypdfium2 ships PDFium inside its
wheels for Linux, Windows and macOS and follows PDFium's releases. Poppler renders in the
tests, as the independent check. PDFium is not thread-safe: every call into it holds
``_PDFIUM``.

The page is rendered in the visual frame of ``meterai.placement`` (the CropBox turned by
``/Rotate``, top-left origin), at ``SCALE`` pixels per point; everything here that is a
``Rect`` is in visual points unless it says otherwise.

Intake asks one question per document (is *this* box free?), so it renders only the box
and its neighbourhood (``read_area``: a few per cent of the page's pixels, on the same
pixel grid as the whole page, so the answer is the same); the whole page is rendered only
where the whole page is the question: the add dialog, which re-checks as the box moves,
and the search for a free spot once the box is known not to be free.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw, ImageFilter

from meterai.documents.preflight import Code, Finding, Severity
from meterai.errors import PlacementError
from meterai.i18n import N_
from meterai.messages import Message
from meterai.placement import (
    DEFAULT_MARGIN_PT,
    PageGeometry,
    Placement,
    Rect,
    page_geometry,
    user_to_visual,
    validate,
    visual_to_user,
)

SCALE = 2.0
"""Pixels per point: a 0.25 pt hairline still darkens a pixel; an A4 page is 2 MP."""
TOUCH_PT = 2.0
"""Ink this close inside the box's edge touches it rather than hides under it: a frame
line the default box sits on is not covered content."""
MIN_INK_PX = 4
"""One square point at ``SCALE``: fewer dark pixels are anti-aliasing crumbs or specks."""
PAPER_STEP = 32
"""Ink is this much darker than the page's paper, so a grey scan's paper is not ink."""
CELL_PT = 3.0
"""The free-spot search grid: fine enough to fit between lines, coarse enough to be quick."""
NEIGHBOURHOOD_PT = 36.0
"""Rendered around the box when only the box is asked about: enough paper round it to
tell a scan's grey paper from ink (the paper level), without drawing the whole page."""
PAPER_SCALE = 0.25
"""Pixels per point of the low-resolution whole page that settles the paper level when the
box's neighbourhood is not plain white (a scan, or a tint wider than the neighbourhood)."""
WHITE = 255
DARKEST_PAPER = 128
"""The darkest grey taken for paper: darker than this, it is ink whatever the page."""
CLEARANCE_CELLS = 3
"""A free spot keeps this many cells (9 pt) clear of ink: room to breathe, as a person
would leave it, so the stamp does not crowd a signature or a line of text."""

COVERS: tuple[Code, ...] = (
    Code.STAMP_COVERS_SIGNATURE,
    Code.STAMP_COVERS_FORM_FIELD,
    Code.STAMP_COVERS_TEXT,
    Code.STAMP_COVERS_IMAGE,
    Code.STAMP_COVERS_ANNOTATION,
    Code.STAMP_COVERS_DRAWING,
)
"""What a stamp can hide, most serious first: the order warnings are listed in."""
FIELDS = frozenset({Code.STAMP_COVERS_SIGNATURE, Code.STAMP_COVERS_FORM_FIELD})
"""Hidden even where they show no ink: an empty signature field is where someone signs."""
CODES = frozenset({*COVERS, Code.STAMP_AREA_UNCHECKED, Code.STAMP_MOVED, Code.NO_FREE_SPOT})
"""Every finding code this module gives."""

_COVERS_TEXT = {
    Code.STAMP_COVERS_SIGNATURE: N_(
        "The stamp on page {page} lies over a signature field; the e-Meterai must not cover "
        "a signature."
    ),
    Code.STAMP_COVERS_FORM_FIELD: N_("The stamp on page {page} lies over a form field."),
    Code.STAMP_COVERS_TEXT: N_("The stamp on page {page} covers text."),
    Code.STAMP_COVERS_IMAGE: N_("The stamp on page {page} covers a picture."),
    Code.STAMP_COVERS_ANNOTATION: N_(
        "The stamp on page {page} covers something added in a PDF viewer, such as a "
        "hand-drawn signature or a note."
    ),
    Code.STAMP_COVERS_DRAWING: N_("The stamp on page {page} covers lines or shapes."),
}
MOVED_TEXT = N_("The stamp was moved to a free spot on page {page}, where nothing lies under it.")
NO_FREE_SPOT_TEXT = N_(
    "Page {page} has no free spot for a stamp of this size; the stamp stays where it was."
)
UNCHECKED_TEXT = N_("What lies under the stamp on page {page} could not be checked: {detail}")
_UNREADABLE = N_("Page {page} cannot be drawn to check what lies under the stamp: {detail}")

_PDFIUM = threading.Lock()
_PAGEOBJ_KIND = {
    pdfium_c.FPDF_PAGEOBJ_IMAGE: Code.STAMP_COVERS_IMAGE,
    pdfium_c.FPDF_PAGEOBJ_PATH: Code.STAMP_COVERS_DRAWING,
    pdfium_c.FPDF_PAGEOBJ_SHADING: Code.STAMP_COVERS_DRAWING,
}
_NOT_CONTENT = frozenset({pdfium_c.FPDF_ANNOT_LINK, pdfium_c.FPDF_ANNOT_POPUP})
"""Annotations that put no ink of their own on the page."""


class StampCoversContent(PlacementError):
    """``--strict-placement``: refused rather than queued with a warning."""

    code = "stamp_covers_content"
    template = N_(
        "{file} was not queued: {reasons} Move the stamp (--rect), or let the app find a "
        "free spot (--place auto)."
    )
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Mark:
    """Something on the page whose kind is known, with its box in visual points."""

    code: Code
    rect: Rect


@dataclass(frozen=True, eq=False)
class PageContent:
    """One page as the check needs it: where the ink is, and what the known things are.

    ``ink`` is a greyscale image of the visual page, 255 where there is ink and 0 where
    there is paper. Built on a worker (``read_page``); asking it questions is quick, so the
    add dialog can re-check on every move of the box.

    ``ink`` may show only a window of the page (``read_area``): then ``origin`` is where
    its top-left pixel lies on the whole page's pixel grid, ``page_pixels`` the whole
    page's size in pixels, and asking about ink outside the window is an error rather
    than a silent "nothing there".
    """

    geometry: PageGeometry
    ink: Image.Image
    marks: tuple[Mark, ...]
    origin: tuple[int, int] = (0, 0)
    page_pixels: tuple[int, int] | None = None

    @property
    def whole(self) -> bool:
        """Whether ``ink`` is the whole page (what the free-spot search needs)."""
        return self.page_pixels is None

    def pixels(self, rect: Rect) -> tuple[int, int, int, int]:
        """``rect``'s pixel box on ``ink``, grown to whole pixels."""
        left, top, right, bottom = page_pixels(
            rect, self.geometry, self.page_pixels or self.ink.size
        )
        x, y = self.origin
        return left - x, top - y, right - x, bottom - y

    def ink_in(self, rect: Rect) -> int:
        """How many pixels of ink lie inside ``rect``."""
        left, top, right, bottom = self.pixels(rect)
        if not self.whole and (
            left < 0 or top < 0 or right > self.ink.width or bottom > self.ink.height
        ):
            raise ValueError(f"{rect} lies outside the part of the page that was drawn")
        left, top = max(left, 0), max(top, 0)
        right, bottom = min(right, self.ink.width), min(bottom, self.ink.height)
        if right <= left or bottom <= top:
            return 0
        return self.ink.crop((left, top, right, bottom)).histogram()[255]


def page_pixels(
    rect: Rect, geometry: PageGeometry, size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """``rect``'s pixel box on the whole page drawn ``size`` pixels big, grown to whole pixels."""
    width, height = geometry.visual_size
    sx, sy = size[0] / width, size[1] / height
    left, top = math.floor(rect.x1 * sx), math.floor(rect.y1 * sy)
    return left, top, math.ceil(rect.x2 * sx), math.ceil(rect.y2 * sy)


@dataclass(frozen=True)
class Checked:
    """Intake's answer: where the stamp goes and what to tell the user about it."""

    placement: Placement
    findings: tuple[Finding, ...]

    @property
    def moved(self) -> bool:
        return any(f.code == Code.STAMP_MOVED for f in self.findings)


# --- reading a page ----------------------------------------------------------------------


def read_page(source: Path | bytes, geometry: PageGeometry) -> PageContent:
    """Render page ``geometry.index`` of ``source`` and list what is on it.

    A page PDFium cannot draw is a ``PlacementError``: the check cannot answer, and the
    caller decides whether that is only a warning (it is, unless placement is strict).
    """
    return _read_content(source, geometry, None)


def read_area(source: Path | bytes, geometry: PageGeometry, rect: Rect) -> PageContent:
    """``read_page`` for one question about the visual ``rect``: its ink (and its
    neighbourhood's) only, the page's marks all the same.

    The window lies on the whole page's pixel grid, so ``covers`` answers for ``rect``
    exactly as on the whole page, for a fraction of the drawing (the cost that made
    ``meterai add`` several times a plain copy).
    """
    return _read_content(source, geometry, rect)


def area_covers(source: Path | bytes, geometry: PageGeometry, rect: Rect) -> tuple[Code, ...]:
    """Intake's one question, ``covers(read_area(source, geometry, rect), rect)``, with the
    same answer for less drawing: the page's paper level is settled (a second drawing,
    of the whole page) only when it could change the answer.

    Ink is what is darker than the paper by ``PAPER_STEP``, and the paper level is a grey
    from 128 to 255, so the darkest paper finds the least ink and white the most; each
    kind ``covers`` names needs more ink than some count, so what both extremes find is
    found at every level in between, and what neither finds at none. On a scan with
    dark writing or a dark picture under the box the extremes agree; a box on a tint,
    or on a grey scan's paper where white would take the paper for ink, still settles
    the level as ``read_area`` does.
    """
    return covers(_read_content(source, geometry, rect, question=True), rect)


def _read_content(
    source: Path | bytes, geometry: PageGeometry, rect: Rect | None, *, question: bool = False
) -> PageContent:
    """The page (or ``rect``'s area), and with ``question`` its ink only as far as needed
    to answer ``covers`` for ``rect`` (``area_covers``)."""
    with _PDFIUM:
        try:
            document = pdfium.PdfDocument(source)
        except pdfium.PdfiumError as exc:
            raise PlacementError(_UNREADABLE, page=geometry.number, detail=str(exc)) from exc
        try:
            ink, marks = _read(document, geometry, rect, question)
        except pdfium.PdfiumError as exc:
            raise PlacementError(_UNREADABLE, page=geometry.number, detail=str(exc)) from exc
        finally:
            document.close()
    return PageContent(geometry, ink.image, marks, ink.origin, ink.page_pixels)


@dataclass(frozen=True)
class _Ink:
    image: Image.Image
    origin: tuple[int, int] = (0, 0)
    page_pixels: tuple[int, int] | None = None


def _read(
    document: pdfium.PdfDocument, geometry: PageGeometry, rect: Rect | None, question: bool
) -> tuple[_Ink, tuple[Mark, ...]]:
    """The ink and the marks in visual points (PDFium gives boxes in page space)."""
    document.init_forms()  # before the page loads, so widgets draw as a viewer shows them
    page = document[geometry.index]
    try:
        textpage = page.get_textpage()
        try:
            found = [
                *_text_marks(textpage),
                *_object_marks(page),
                *_annotation_marks(document, page),
            ]
        finally:
            textpage.close()
        marks = tuple(Mark(code, user_to_visual(r, geometry)) for code, r in found)
        if rect is None:
            return _Ink(_ink(page)), marks
        answer = partial(_answer, geometry, marks, rect) if question else None
        return _ink_around(page, geometry, rect, answer), marks
    finally:
        page.close()


def _answer(
    geometry: PageGeometry, marks: tuple[Mark, ...], rect: Rect, ink: _Ink
) -> tuple[Code, ...]:
    return covers(PageContent(geometry, ink.image, marks, ink.origin, ink.page_pixels), rect)


def _ink(page: pdfium.PdfPage) -> Image.Image:
    grey = _grey(page, SCALE)
    return _inked(grey, _paper_level(grey))


def _ink_around(
    page: pdfium.PdfPage,
    geometry: PageGeometry,
    rect: Rect,
    answer: Callable[[_Ink], tuple[Code, ...]] | None = None,
) -> _Ink:
    """The ink of ``rect`` grown by ``NEIGHBOURHOOD_PT``, drawn as a window of the page.

    The paper level is the window's when that is white (a born-digital page): no paper is
    lighter, so no ink is missed that the whole page's level would find (on a grey scan
    with a white patch round the box the window's level is the stricter one). Otherwise (a
    scan, or the box on a tint wider than the window, which the window would take for
    paper) it is the whole page's, from a low-resolution drawing, as ``read_page`` takes it
    - unless ``answer`` (the one question asked, ``area_covers``) is the same for the
    darkest paper and for white: then no level can change it, and the window's ink at
    white paper is returned for that question only.
    """
    size = (math.ceil(page.get_width() * SCALE), math.ceil(page.get_height() * SCALE))
    grown = Rect(
        rect.x1 - NEIGHBOURHOOD_PT,
        rect.y1 - NEIGHBOURHOOD_PT,
        rect.x2 + NEIGHBOURHOOD_PT,
        rect.y2 + NEIGHBOURHOOD_PT,
    )
    left, top, right, bottom = page_pixels(grown, geometry, size)
    left, top = max(left, 0), max(top, 0)
    right, bottom = min(right, size[0]), min(bottom, size[1])
    # Whole pixels, so pypdfium2's crop (rounded up to pixels) falls on the page's grid.
    crop = (left / SCALE, (size[1] - bottom) / SCALE, (size[0] - right) / SCALE, top / SCALE)
    grey = _grey(page, SCALE, crop)
    paper = _paper_level(grey)
    if paper == WHITE:
        return _Ink(_inked(grey, paper), (left, top), size)
    if answer is not None:
        darkest, white = (_Ink(_inked(grey, p), (left, top), size) for p in (DARKEST_PAPER, WHITE))
        if answer(darkest) == answer(white):
            return white
    paper = _paper_level(_grey(page, PAPER_SCALE))
    return _Ink(_inked(grey, paper), (left, top), size)


def _grey(
    page: pdfium.PdfPage, scale: float, crop: tuple[float, float, float, float] = (0, 0, 0, 0)
) -> Image.Image:
    """The page (or its ``crop``) drawn in 8-bit grey.

    Drawn onto a grey bitmap, not in PDFium's grey *mode* (``FPDF_GRAYSCALE``): that mode
    copies every picture whole and turns each of its pixels grey before drawing any part
    of it (half the cost of checking a scan's box), where a grey bitmap takes the grey of
    only the pixels drawn. Both weigh red, green and blue alike (PDFium's
    ``FXRGB2GRAY``); they differ by rounding, at most 2 levels of 255, far below
    ``PAPER_STEP``. A page is drawn once or twice and then closed, so PDFium need not
    keep its decoded pictures for later (``limit_image_cache``).
    """
    bitmap = page.render(
        scale=scale,
        force_bitmap_format=pdfium_c.FPDFBitmap_Gray,
        may_draw_forms=True,
        crop=crop,
        limit_image_cache=True,
    )
    grey: Image.Image = bitmap.to_pil()
    if grey.mode != "L":  # a grey bitmap is 8-bit already: no copy then
        grey = grey.convert("L")
    return grey


def _inked(grey: Image.Image, paper: int) -> Image.Image:
    """255 where ``grey`` is ink (darker than the paper by ``PAPER_STEP``), 0 elsewhere."""
    return grey.point(_ink_table(paper))


@functools.cache
def _ink_table(paper: int) -> list[int]:
    threshold = paper - PAPER_STEP
    return [255 if level < threshold else 0 for level in range(256)]


def _paper_level(grey: Image.Image) -> int:
    """The most common light grey: white for a born-digital page, the paper of a scan."""
    counts = grey.histogram()
    return max(range(DARKEST_PAPER, WHITE + 1), key=lambda level: (counts[level], level))


def _text_marks(textpage: pdfium.PdfTextPage) -> Iterator[tuple[Code, Rect]]:
    for i in range(textpage.count_rects()):
        left, bottom, right, top = textpage.get_rect(i)
        yield Code.STAMP_COVERS_TEXT, Rect(left, bottom, right, top)


def _object_marks(page: pdfium.PdfPage) -> Iterator[tuple[Code, Rect]]:
    """Images and drawing, nested forms included; text comes from the text page instead.

    PDFium gives the box of an object inside a form XObject in the form's own space, so
    each level's form matrix is carried down to reach page space.
    """
    to_page = [pdfium.PdfMatrix()]
    for obj in page.get_objects():
        del to_page[obj.level + 1 :]
        if obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            to_page.append(obj.get_matrix().multiply(to_page[obj.level]))
            continue
        kind = _PAGEOBJ_KIND.get(obj.type)
        if kind is None or _is_paper(obj):
            continue
        left, bottom, right, top = to_page[obj.level].on_rect(*obj.get_bounds())
        yield kind, Rect(left, bottom, right, top)


def _is_paper(obj: pdfium.PdfObject) -> bool:
    """A white fill with no outline (a page background) puts nothing on white paper."""
    if obj.type != pdfium_c.FPDF_PAGEOBJ_PATH:
        return False
    fill, stroke = pdfium_c.c_int(), pdfium_c.FPDF_BOOL()
    if not pdfium_c.FPDFPath_GetDrawMode(obj.raw, fill, stroke):
        return False
    if stroke.value:
        return False
    if fill.value == pdfium_c.FPDF_FILLMODE_NONE:
        return True
    rgba = [pdfium_c.c_uint() for _ in range(4)]
    if not pdfium_c.FPDFPageObj_GetFillColor(obj.raw, *rgba):
        return False
    return all(channel.value >= 250 for channel in rgba[:3])


def _annotation_marks(
    document: pdfium.PdfDocument, page: pdfium.PdfPage
) -> Iterator[tuple[Code, Rect]]:
    for i in range(pdfium_c.FPDFPage_GetAnnotCount(page.raw)):
        annot = pdfium_c.FPDFPage_GetAnnot(page.raw, i)
        if not annot:
            continue
        try:
            mark = _annotation_mark(document, annot)
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)
        if mark is not None:
            yield mark


def _annotation_mark(
    document: pdfium.PdfDocument, annot: pdfium_c.FPDF_ANNOTATION
) -> tuple[Code, Rect] | None:
    subtype = pdfium_c.FPDFAnnot_GetSubtype(annot)
    hidden = pdfium_c.FPDFAnnot_GetFlags(annot) & pdfium_c.FPDF_ANNOT_FLAG_HIDDEN
    if subtype in _NOT_CONTENT or hidden:
        return None
    box = pdfium_c.FS_RECTF()
    if not pdfium_c.FPDFAnnot_GetRect(annot, box):
        return None
    if box.right - box.left <= 0 or box.top - box.bottom <= 0:
        return None  # an invisible signature: nothing to cover
    kind = Code.STAMP_COVERS_ANNOTATION
    if subtype == pdfium_c.FPDF_ANNOT_WIDGET:
        field = pdfium_c.FPDFAnnot_GetFormFieldType(document.formenv.raw, annot)
        signature = field == pdfium_c.FPDF_FORMFIELD_SIGNATURE
        kind = Code.STAMP_COVERS_SIGNATURE if signature else Code.STAMP_COVERS_FORM_FIELD
    return kind, Rect(box.left, box.bottom, box.right, box.top)


# --- asking the page questions -------------------------------------------------------------


def covers(content: PageContent, rect: Rect) -> tuple[Code, ...]:
    """What a stamp at ``rect`` would hide, most serious first; ``()`` when the spot is free.

    A kind counts where its box meets the stamp *and* there is ink in that overlap (so the
    white margin of a picture or a line of text ending short of the box does not), except
    fields, which count by their box alone. Ink that no known thing explains is drawing.
    """
    inner = _inset(rect, TOUCH_PT)
    if inner is None:
        return ()
    found = {mark.code for mark in content.marks if _hides(content, mark, inner)}
    if not found and content.ink_in(inner) >= MIN_INK_PX:
        found.add(Code.STAMP_COVERS_DRAWING)
    return tuple(code for code in COVERS if code in found)


def _hides(content: PageContent, mark: Mark, inner: Rect) -> bool:
    common = mark.rect.intersection(inner)
    if common is None:
        return False
    return mark.code in FIELDS or content.ink_in(common) >= MIN_INK_PX


def _inset(rect: Rect, by: float) -> Rect | None:
    if rect.width <= 2 * by or rect.height <= 2 * by:
        return None
    return Rect(rect.x1 + by, rect.y1 + by, rect.x2 - by, rect.y2 - by)


def free_spot(content: PageContent, wanted: Rect, margin: float = DEFAULT_MARGIN_PT) -> Rect | None:
    """The nearest place on the same page, the size of ``wanted``, where nothing lies.

    Nearest to ``wanted``'s centre; among equally near places the one further
    bottom-right, where a stamp usually goes. Inside the usual margin when the page has
    room there, anywhere on the page otherwise; ``None`` when the page is full.
    """
    if not content.whole:
        raise ValueError("a free spot is searched for on the whole page (read_page)")
    grid = _Occupancy(content)
    for edge in (margin, 0.0):
        spot = grid.nearest_free(wanted, edge)
        if spot is not None:
            return spot
    return None


class _Occupancy:
    """The page in ``CELL_PT`` cells, each taken or free, with a summed-area table so any
    window's count of taken cells is four look-ups."""

    def __init__(self, content: PageContent) -> None:
        self.width, self.height = content.geometry.visual_size
        cells = content.ink.reduce(round(CELL_PT * SCALE))
        _take_fields(cells, content.marks)
        if CLEARANCE_CELLS:
            cells = cells.filter(ImageFilter.MaxFilter(2 * CLEARANCE_CELLS + 1))
        self.cols, self.rows = cells.size
        self._sums = _summed_area(cells)

    def taken(self, col: int, row: int, cols: int, rows: int) -> int:
        c2, r2 = min(col + cols, self.cols), min(row + rows, self.rows)
        col, row = max(col, 0), max(row, 0)
        stride, s = self.cols + 1, self._sums
        return (
            s[r2 * stride + c2]
            - s[row * stride + c2]
            - s[r2 * stride + col]
            + s[row * stride + col]
        )

    def nearest_free(self, wanted: Rect, edge: float) -> Rect | None:
        width, height = wanted.width, wanted.height
        span_c, span_r = math.ceil(width / CELL_PT - 1e-9), math.ceil(height / CELL_PT - 1e-9)
        cx, cy = (wanted.x1 + wanted.x2) / 2, (wanted.y1 + wanted.y2) / 2
        best: tuple[int, int, int] | None = None  # (distance in cells, -row, -col)
        for row in _steps(edge, self.height - edge - height):
            for col in _steps(edge, self.width - edge - width):
                if self.taken(col, row, span_c, span_r):
                    continue
                x, y = col * CELL_PT + width / 2, row * CELL_PT + height / 2
                key = (round(math.hypot(x - cx, y - cy) / CELL_PT), -row, -col)
                if best is None or key < best:
                    best = key
        if best is None:
            return None
        x, y = -best[2] * CELL_PT, -best[1] * CELL_PT
        return Rect(x, y, x + width, y + height)


def _steps(low: float, high: float) -> range:
    """Grid positions whose point lies in [low, high]."""
    return range(math.ceil(low / CELL_PT - 1e-9), math.floor(high / CELL_PT + 1e-9) + 1)


def _take_fields(cells: Image.Image, marks: Sequence[Mark]) -> None:
    draw = ImageDraw.Draw(cells)
    for mark in marks:
        if mark.code in FIELDS:
            r = mark.rect
            box = (r.x1 / CELL_PT, r.y1 / CELL_PT, r.x2 / CELL_PT, r.y2 / CELL_PT)
            draw.rectangle(tuple(int(v) for v in box), fill=255)


def _summed_area(cells: Image.Image) -> list[int]:
    cols, rows = cells.size
    stride = cols + 1
    sums = [0] * (stride * (rows + 1))
    values = cells.tobytes()
    for row in range(rows):
        running = 0
        above, here = row * stride, (row + 1) * stride
        for col in range(cols):
            running += values[row * cols + col] > 0
            sums[here + col + 1] = sums[above + col + 1] + running
    return sums


# --- intake's question ----------------------------------------------------------------------


def cover_finding(code: Code, page: int) -> Finding:
    return Finding(code, Severity.WARNING, _COVERS_TEXT[code], {"page": page})


def check_placement(
    document: Path,
    placement: Placement,
    *,
    auto: bool = False,
    strict: bool = False,
    name: str | None = None,
    geometry: PageGeometry | None = None,
) -> Checked:
    """Whether the stamp hides anything, and (``auto``) a free spot when it does.

    ``strict`` refuses with ``StampCoversContent`` whatever would otherwise only be a
    warning (a check that could not run included: strict promises a clear spot). ``name``
    is the file as the user knows it, when ``document`` is a fixed copy; ``geometry`` the
    stamp's page, when the caller has it already (reading it again parses the file).
    """
    name = name or document.name
    geometry = geometry or page_geometry(document, placement.page_index)
    return _refused_if(strict, name, _checked(document, geometry, placement, auto))


def _checked(document: Path, geometry: PageGeometry, placement: Placement, auto: bool) -> Checked:
    """The box's area alone answers whether it is free; the whole page is drawn only to
    search for a free spot (``auto``) once it is not."""
    visual = user_to_visual(placement.rect, geometry)
    try:
        found = area_covers(document, geometry, visual)
    except PlacementError as exc:
        return Checked(placement, (_unchecked(geometry, exc),))
    if not found:
        return Checked(placement, ())
    page = geometry.number
    warnings = tuple(cover_finding(code, page) for code in found)
    if not auto:
        return Checked(placement, warnings)
    try:
        spot = free_spot(read_page(document, geometry), visual)
    except PlacementError as exc:
        return Checked(placement, (*warnings, _unchecked(geometry, exc)))
    if spot is None:
        stays = Finding(Code.NO_FREE_SPOT, Severity.WARNING, NO_FREE_SPOT_TEXT, {"page": page})
        return Checked(placement, (*warnings, stays))
    moved = Placement(geometry.index, visual_to_user(spot, geometry))
    validate(moved, geometry)
    return Checked(moved, (Finding(Code.STAMP_MOVED, Severity.INFO, MOVED_TEXT, {"page": page}),))


def _unchecked(geometry: PageGeometry, exc: PlacementError) -> Finding:
    """PDFium could not draw the page: a warning (a refusal only when placement is strict)."""
    return Finding(
        Code.STAMP_AREA_UNCHECKED,
        Severity.WARNING,
        UNCHECKED_TEXT,
        {"page": geometry.number, "detail": exc.message()},
    )


def _refused_if(strict: bool, name: str, checked: Checked) -> Checked:
    warnings = [f for f in checked.findings if f.severity is Severity.WARNING]
    if not strict or not warnings:
        return checked
    reasons = Message.joined([f.message for f in warnings], " ")
    error = StampCoversContent(file=name, reasons=reasons)
    error.findings = tuple(warnings)
    raise error
