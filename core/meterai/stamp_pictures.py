"""Pictures of an e-Meterai in a PDF that carries no e-Meterai signature.

A document printed to PDF, scanned, or with a stamp image pasted in shows what looks
like an e-Meterai, yet proves nothing: the stamp is the signature, and the picture
alone can be copied onto anything. HR staff who receive such a file must be told so
plainly, so the checker looks for the picture when it finds no signature.

Every e-Meterai carries a QR code holding its serial number (22 characters of A-Z and
0-9, DESIGN section 3), so a picture is recognised by a QR code that names a serial
number or says "meterai", found in the document's images: page images (a pasted
picture, a printed or scanned page), images inside form XObjects (a flattened stamp)
and annotation appearances (a stamp annotation). QR codes are read with zxing-cpp,
the maintained C++ port of ZXing: it reads a QR in a whole scanned page, ships wheels
for Windows and Linux, and takes Pillow images without numpy. The images come from
pikepdf, which already decodes every filter we accept. Vector-drawn QR codes are not
read: the provider's stamp is a raster image.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SERIAL = re.compile(r"(?<![A-Z0-9])[A-Z0-9]{22}(?![A-Z0-9])")
MAX_PIXELS = 40_000_000  # a 300 dpi A4 scan is 8.7 Mpx a page: room, not a bomb
MAX_TOTAL_PIXELS = 400_000_000  # a 40-page 300 dpi scan; a hostile file stops here
MAX_IMAGES = 400
MAX_SIDE = 2400  # read at most this long: a 200 dpi A4 scan page whole
HALVE_ABOVE = 3000  # a longer JPEG (300 dpi and up) is decoded at half size or less
SEARCH_SECONDS = 30.0  # then the pictures found so far are the answer
MAX_DEPTH = 8


@dataclass(frozen=True)
class StampPicture:
    """A picture that looks like an e-Meterai: on ``page_index``, with the QR's text."""

    page_index: int
    text: str

    @property
    def serial_number(self) -> str | None:
        match = SERIAL.search(self.text.upper())
        return match.group(0) if match else None


def find_stamp_pictures(path: Path) -> tuple[StampPicture, ...]:
    """Every e-Meterai-like QR code in the file's images, at most one per page and text.

    A file pikepdf cannot open has no pictures to report: the caller has already
    found it readable, and this search must never turn a verdict into an error.
    """
    import pikepdf

    found: dict[tuple[int, str], StampPicture] = {}
    try:
        with pikepdf.open(path) as pdf:
            budget = _Budget()
            for index, page in enumerate(pdf.pages):
                for text in _qr_texts_on(page, budget):
                    if looks_like_emeterai(text):
                        found.setdefault((index, text), StampPicture(index, text))
    except (pikepdf.PikepdfError, OSError, ValueError, RecursionError) as exc:
        log.info("stamp pictures of %s not searched: %r", path.name, exc)
    return tuple(found.values())


def looks_like_emeterai(text: str) -> bool:
    return bool(SERIAL.search(text.upper())) or "METERAI" in text.upper()


@dataclass
class _Budget:
    """How much more decoding one file may cost: a checker must answer, never hang."""

    images: int = MAX_IMAGES
    pixels: int = MAX_TOTAL_PIXELS
    until: float = field(default_factory=lambda: time.monotonic() + SEARCH_SECONDS)

    def spend(self, xobject: Any) -> bool:
        """Whether ``xobject`` may be decoded; an image over the one-image limit is skipped."""
        try:
            pixels = int(xobject.get("/Width", 0)) * int(xobject.get("/Height", 0))
        except (TypeError, ValueError):
            return False
        if self.images <= 0 or not 0 < pixels <= min(MAX_PIXELS, self.pixels):
            return False
        if time.monotonic() > self.until:
            return False
        self.images -= 1
        self.pixels -= pixels
        return True


def _qr_texts_on(page: Any, budget: _Budget) -> Iterator[str]:
    seen: set[tuple[int, int]] = set()
    for image in _page_images(page, seen):
        if budget.spend(image):
            yield from _read_qr(image)


def _page_images(page: Any, seen: set[tuple[int, int]]) -> Iterator[Any]:
    yield from _images_in(page.obj.get("/Resources"), seen, 0)
    for annot in page.obj.get("/Annots") or []:
        appearance = annot.get("/AP") if hasattr(annot, "get") else None
        normal = appearance.get("/N") if appearance is not None else None
        if normal is not None and normal.get("/Subtype") == "/Form":
            yield from _images_in(normal.get("/Resources"), seen, 1)


def _images_in(resources: Any, seen: set[tuple[int, int]], depth: int) -> Iterator[Any]:
    """Image XObjects under ``resources``, forms followed; each object once."""
    if resources is None or depth > MAX_DEPTH:
        return
    xobjects = resources.get("/XObject")
    if xobjects is None:
        return
    for _name, xobject in xobjects.items():
        key = xobject.objgen
        if key != (0, 0):
            if key in seen:
                continue
            seen.add(key)
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            yield xobject
        elif subtype == "/Form":
            yield from _images_in(xobject.get("/Resources"), seen, depth + 1)


def _read_qr(xobject: Any) -> Iterator[str]:
    import zxingcpp
    from pikepdf import PdfImage, PikepdfError
    from PIL import UnidentifiedImageError

    try:
        picture = PdfImage(xobject).as_pil_image()
    except (
        PikepdfError,
        NotImplementedError,
        ValueError,
        OSError,
        UnidentifiedImageError,
    ) as exc:  # an image that cannot be decoded is not read
        log.info("an image could not be decoded: %r", exc)
        return
    qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    for barcode in zxingcpp.read_barcodes(_for_reading(picture), formats=qr):
        if barcode.text:
            yield barcode.text


def _for_reading(picture: Any) -> Any:
    """Grey, and at most ``MAX_SIDE`` pixels long: a 300 dpi scan page is read at half
    size, which JPEG decodes directly (Pillow's ``draft``) in a fraction of the time.
    The smallest stamp in use (54 pt) keeps its QR code readable at 150 dpi and up,
    checked from 150 to 600 dpi. Reading only QR codes (not every format zxing knows)
    is another factor of seven."""
    factor = 1
    while factor < 8 and max(picture.size) // factor > HALVE_ABOVE:
        factor *= 2
    if factor > 1:
        picture.draft("L", (picture.width // factor, picture.height // factor))
    grey = picture.convert("L")
    grey.thumbnail((MAX_SIDE, MAX_SIDE))
    return grey
