"""Where the stamp goes: a page and a rectangle, in the frame the user sees and in PDF user space.

The GUI and the user think in the *visual* frame: the page as a viewer shows it, that
is the CropBox turned clockwise by ``/Rotate``, origin at the top-left, y growing
downwards, in points (what QtPdf's ``pagePointSize()`` reports). The provider wants
PDF user space: origin bottom-left of the unrotated page. Every conversion between the
two lives here, Qt-free, so the CLI and the GUI cannot disagree about it.

The mapping for a CropBox (llx, lly, urx, ury) and a visual point (x, y) is
0°: (llx + x, ury - y); 90°: (llx + y, lly + x); 180°: (urx - x, lly + y);
270°: (urx - y, ury - x). It was checked against what poppler actually renders for
rotated, cropped pages (see ``tests/core/test_placement.py``), not only derived.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pypdf import PageObject, PdfReader
from pypdf.errors import PyPdfError

from meterai.errors import PlacementError
from meterai.i18n import N_

# Stamp sizes met in practice are squares of 54 to 100 pt: the GUI offers this range.
STAMP_MIN_PT = 54.0
STAMP_MAX_PT = 100.0
STAMP_DEFAULT_PT = 72.0
# ``validate`` accepts up to this, so a CLI user may ask for a bigger stamp on purpose.
STAMP_LIMIT_PT = 200.0
DEFAULT_MARGIN_PT = 36.0
# The specimen is square; a grip drag or rounding to whole points may skew it a little.
ASPECT_TOLERANCE = 0.05
# A hundredth of a point is far below any rendering resolution but above float noise
# from the GUI's scene-to-page mapping, so a stamp dragged flush to an edge still fits.
EPSILON_PT = 0.01

Rotation = Literal[0, 90, 180, 270]
_ROTATIONS: tuple[Rotation, ...] = (0, 90, 180, 270)
_ROTATION_OF: dict[int, Rotation] = {rotation: rotation for rotation in _ROTATIONS}

_RECT_SYNTAX = N_("“{text}” is not a rectangle: write four numbers in points, X1,Y1,X2,Y2.")
_PAGE_SPEC = N_("“{spec}” is not a page: give a page number from 1, or “last”.")
_NO_PAGES = N_("The document has no pages.")
_NO_SUCH_PAGE = N_("There is no page {page}: the last page is {count}.")
_UNREADABLE = N_("The pages of {file} cannot be read: {detail}")
_BAD_ROTATION = N_(
    "Page {page} is turned by {rotate}°, which is not a multiple of 90°. Viewers disagree "
    "on how such a page looks, so the stamp cannot be placed safely; repair the document first."
)
_NO_VISIBLE_AREA = N_("Page {page} has no visible area: its crop box lies outside its media box.")
_TOO_SMALL = N_("The stamp is {width} × {height} pt; each side must be at least {minimum} pt.")
_TOO_LARGE = N_("The stamp is {width} × {height} pt; each side must be at most {maximum} pt.")
_NOT_SQUARE = N_("The stamp is {width} × {height} pt; it must be square, like the stamp image.")
_OUTSIDE = N_("The stamp reaches outside page {page}, whose visible area is {width} × {height} pt.")


def _pt(value: float) -> str:
    """Points for messages: two decimals at most, so float noise never reaches the user."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle in points; corners are normalised so callers may drag backwards."""

    x1: float
    y1: float
    x2: float
    y2: float

    def __post_init__(self) -> None:
        values = (self.x1, self.y1, self.x2, self.y2)
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"rectangle coordinates must be finite, got {values}")
        x1, x2 = sorted((float(self.x1), float(self.x2)))
        y1, y2 = sorted((float(self.y1), float(self.y2)))
        object.__setattr__(self, "x1", x1)
        object.__setattr__(self, "y1", y1)
        object.__setattr__(self, "x2", x2)
        object.__setattr__(self, "y2", y2)

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @classmethod
    def parse(cls, text: str) -> Rect:
        """Read the CLI's ``X1,Y1,X2,Y2``; a typo must be an input error, not a traceback."""
        parts = text.split(",")
        try:
            if len(parts) != 4:
                raise ValueError(text)
            x1, y1, x2, y2 = (float(part) for part in parts)
            return cls(x1, y1, x2, y2)
        except ValueError:
            raise PlacementError(_RECT_SYNTAX, text=text) from None

    def contains(self, other: Rect, tolerance: float = 0.0) -> bool:
        return (
            other.x1 >= self.x1 - tolerance
            and other.y1 >= self.y1 - tolerance
            and other.x2 <= self.x2 + tolerance
            and other.y2 <= self.y2 + tolerance
        )

    def intersection(self, other: Rect) -> Rect | None:
        """The area both cover, or ``None`` when they only touch or are apart."""
        x1, y1 = max(self.x1, other.x1), max(self.y1, other.y1)
        x2, y2 = min(self.x2, other.x2), min(self.y2, other.y2)
        if x2 <= x1 or y2 <= y1:
            return None
        return Rect(x1, y1, x2, y2)

    def __str__(self) -> str:
        return ",".join(_pt(v) for v in (self.x1, self.y1, self.x2, self.y2))


@dataclass(frozen=True)
class PageGeometry:
    """What placement needs to know about one page.

    ``cropbox`` is the *visible* box: the CropBox clipped to the MediaBox, as both pdfium
    (QtPdf) and poppler do, so it never claims area that no viewer shows.
    """

    index: int
    mediabox: Rect
    cropbox: Rect
    rotate: Rotation

    def __post_init__(self) -> None:
        if self.index < 0:
            raise ValueError(f"page index must be >= 0, got {self.index}")
        if self.rotate not in _ROTATIONS:
            raise ValueError(f"rotate must be one of {_ROTATIONS}, got {self.rotate}")

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def visual_size(self) -> tuple[float, float]:
        """Width and height as shown: QtPdf's ``pagePointSize()``, the GUI's scene size."""
        box = self.cropbox
        if self.rotate in (90, 270):
            return box.height, box.width
        return box.width, box.height


@dataclass(frozen=True)
class Placement:
    """A stamp position as the provider wants it: page index from 0, ``rect`` in user space."""

    page_index: int
    rect: Rect

    def __post_init__(self) -> None:
        if self.page_index < 0:
            raise ValueError(f"page index must be >= 0, got {self.page_index}")

    @property
    def page_number(self) -> int:
        """The 1-based page number, which is what the provider's ``visSignaturePage`` takes."""
        return self.page_index + 1


def resolve_page(spec: str | int, count: int) -> int:
    """Turn the CLI's page choice (``"last"`` or a number from 1) into a page index from 0."""
    if count <= 0:
        raise PlacementError(_NO_PAGES)
    if isinstance(spec, str):
        text = spec.strip().lower()
        if text == "last":
            return count - 1
        if not (text.isascii() and text.isdigit()):
            raise PlacementError(_PAGE_SPEC, spec=spec)
        spec = int(text)
    if spec < 1:
        raise PlacementError(_PAGE_SPEC, spec=str(spec))
    if spec > count:
        raise PlacementError(_NO_SUCH_PAGE, page=spec, count=count)
    return spec - 1


def page_count(pdf_path: Path) -> int:
    with _open(pdf_path) as reader:
        return len(reader.pages)


def page_geometry(pdf_path: Path, index: int) -> PageGeometry:
    """Read one page's boxes and rotation; ``index`` counts from 0."""
    with _open(pdf_path) as reader:
        count = len(reader.pages)
        if not 0 <= index < count:
            if count == 0:
                raise PlacementError(_NO_PAGES)
            raise PlacementError(_NO_SUCH_PAGE, page=index + 1, count=count)
        return _geometry(reader.pages[index], index)


def page_geometries(pdf_path: Path) -> tuple[PageGeometry, ...]:
    """Every page's boxes and rotation, from one read of the file."""
    with _open(pdf_path) as reader:
        return tuple(_geometry(page, index) for index, page in enumerate(reader.pages))


def last_page_geometry(pdf_path: Path) -> PageGeometry:
    with _open(pdf_path) as reader:
        count = len(reader.pages)
        if count == 0:
            raise PlacementError(_NO_PAGES)
        return _geometry(reader.pages[count - 1], count - 1)


# What pypdf raises on a damaged file besides its own errors: it parses lazily, so these
# can surface while a page is read, long after the file opened fine.
_PARSE_ERRORS = (PyPdfError, OSError, KeyError, IndexError, TypeError, ValueError)


@contextmanager
def _open(pdf_path: Path) -> Iterator[PdfReader]:
    """Open a PDF with pypdf; a damaged file is the user's input problem, not a crash.

    pypdf reads a file given by name whole into memory; given an open file it reads
    only what it parses, which for one page's boxes of a 10 MB scan is a few KiB.
    """
    try:
        with pdf_path.open("rb") as fh, PdfReader(fh) as reader:
            yield reader
    except _PARSE_ERRORS as exc:
        raise PlacementError(_UNREADABLE, file=pdf_path.name, detail=str(exc)) from exc


def _geometry(page: PageObject, index: int) -> PageGeometry:
    mediabox = _box(page, "mediabox")
    visible = _box(page, "cropbox").intersection(mediabox)
    if visible is None:
        raise PlacementError(_NO_VISIBLE_AREA, page=index + 1)
    return PageGeometry(index, mediabox, visible, _rotation(page.rotation, index))


def _box(page: PageObject, name: Literal["mediabox", "cropbox"]) -> Rect:
    """pypdf resolves inheritance from the page tree and the CropBox-defaults-to-MediaBox rule."""
    box = page.mediabox if name == "mediabox" else page.cropbox
    return Rect(float(box.left), float(box.bottom), float(box.right), float(box.top))


def _rotation(raw: object, index: int) -> Rotation:
    """Normalise ``/Rotate`` (negative and >= 360 occur in the wild) to one of four values."""
    if isinstance(raw, int | float) and math.isfinite(raw) and raw % 90 == 0:
        return _ROTATION_OF[int(raw) % 360]
    raise PlacementError(_BAD_ROTATION, page=index + 1, rotate=str(raw))


def _visual_point_to_user(x: float, y: float, geom: PageGeometry) -> tuple[float, float]:
    box = geom.cropbox
    if geom.rotate == 0:
        return box.x1 + x, box.y2 - y
    if geom.rotate == 90:
        return box.x1 + y, box.y1 + x
    if geom.rotate == 180:
        return box.x2 - x, box.y1 + y
    return box.x2 - y, box.y2 - x


def _user_point_to_visual(x: float, y: float, geom: PageGeometry) -> tuple[float, float]:
    box = geom.cropbox
    if geom.rotate == 0:
        return x - box.x1, box.y2 - y
    if geom.rotate == 90:
        return y - box.y1, x - box.x1
    if geom.rotate == 180:
        return box.x2 - x, y - box.y1
    return box.y2 - y, box.x2 - x


def visual_to_user(rect_visual: Rect, geom: PageGeometry) -> Rect:
    """From the GUI's frame (rotated CropBox, top-left origin, y down) to PDF user space."""
    ax, ay = _visual_point_to_user(rect_visual.x1, rect_visual.y1, geom)
    bx, by = _visual_point_to_user(rect_visual.x2, rect_visual.y2, geom)
    return Rect(ax, ay, bx, by)


def user_to_visual(rect: Rect, geom: PageGeometry) -> Rect:
    """The inverse of ``visual_to_user``: shows a stored placement where the user put it."""
    ax, ay = _user_point_to_visual(rect.x1, rect.y1, geom)
    bx, by = _user_point_to_visual(rect.x2, rect.y2, geom)
    return Rect(ax, ay, bx, by)


def validate(placement: Placement, geom: PageGeometry) -> None:
    """Refuse a placement before a stamp is bought for it: the provider's answer costs money."""
    if placement.page_index != geom.index:
        raise ValueError(f"placement is for page {placement.page_index}, geometry for {geom.index}")
    rect = placement.rect
    size = {"width": _pt(rect.width), "height": _pt(rect.height)}
    if min(rect.width, rect.height) < STAMP_MIN_PT - EPSILON_PT:
        raise PlacementError(_TOO_SMALL, minimum=_pt(STAMP_MIN_PT), **size)
    if max(rect.width, rect.height) > STAMP_LIMIT_PT + EPSILON_PT:
        raise PlacementError(_TOO_LARGE, maximum=_pt(STAMP_LIMIT_PT), **size)
    if abs(rect.width - rect.height) > ASPECT_TOLERANCE * max(rect.width, rect.height):
        raise PlacementError(_NOT_SQUARE, **size)
    if not geom.cropbox.contains(rect, EPSILON_PT):
        width, height = geom.visual_size
        raise PlacementError(_OUTSIDE, page=geom.number, width=_pt(width), height=_pt(height))


class Anchor(StrEnum):
    """A corner (or the centre) of the page *as shown*, the way a user names a spot."""

    BOTTOM_RIGHT = "bottom-right"
    BOTTOM_LEFT = "bottom-left"
    TOP_RIGHT = "top-right"
    TOP_LEFT = "top-left"
    CENTER = "center"


def anchored_placement(
    geom: PageGeometry,
    at: Anchor = Anchor.BOTTOM_RIGHT,
    size: float = STAMP_DEFAULT_PT,
    margin: float = DEFAULT_MARGIN_PT,
) -> Placement:
    """A ``size`` square at ``at`` of the page as the user sees it, ``margin`` from its edges.

    On a page only a little larger than the stamp the margin shrinks, evenly on both
    sides, rather than give a placement that ``validate`` would refuse; the result is
    always validated, so a caller never holds a placement the provider will not take.
    """
    width, height = geom.visual_size
    x = _along(width, size, margin, at in (Anchor.TOP_LEFT, Anchor.BOTTOM_LEFT), at)
    y = _along(height, size, margin, at in (Anchor.TOP_LEFT, Anchor.TOP_RIGHT), at)
    placement = Placement(geom.index, visual_to_user(Rect(x, y, x + size, y + size), geom))
    validate(placement, geom)
    return placement


def _along(length: float, size: float, margin: float, near: bool, at: Anchor) -> float:
    """Where the stamp starts along one axis of the page as shown (0 = left or top)."""
    if at is Anchor.CENTER:
        return (length - size) / 2
    room = max(0.0, min(margin, (length - size) / 2))
    return room if near else length - room - size


def default_placement(
    source: Path | PageGeometry,
    size: float = STAMP_DEFAULT_PT,
    margin: float = DEFAULT_MARGIN_PT,
) -> Placement:
    """Bottom-right of the last page *as the user sees it*, where a stamp usually goes."""
    geom = last_page_geometry(source) if isinstance(source, Path) else source
    return anchored_placement(geom, Anchor.BOTTOM_RIGHT, size, margin)


@dataclass(frozen=True)
class Spot:
    """Where a user asked for the stamp, before the page it lands on is known.

    ``shown`` is a rectangle of the page as a viewer shows it: origin at the top-left,
    y growing downwards, in points, the frame every other tool the user knows measures
    in; without it the stamp goes at ``at``. The CLI, batch files and kiosk scripts give
    a spot; it becomes a ``Placement`` on the document that is really stamped (after
    any fix), so a rotated or cropped page takes it as the user meant it.
    """

    shown: Rect | None = None
    at: Anchor = Anchor.BOTTOM_RIGHT

    def placement(self, geom: PageGeometry) -> Placement:
        """The spot on ``geom``, in PDF user space and validated."""
        if self.shown is None:
            return anchored_placement(geom, self.at)
        placement = Placement(geom.index, visual_to_user(self.shown, geom))
        validate(placement, geom)
        return placement
