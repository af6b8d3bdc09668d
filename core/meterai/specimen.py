"""The "METERAI ELEKTRONIK 10000" specimen, drawn locally with Pillow.

The real stamp artwork belongs to Peruri and must not ship with the app, yet the
GUI needs something recognisable to show where the stamp will land and the
sandbox needs a visible appearance to sign with. Both draw the same picture from
here, so what the user places is what the sandbox stamps. With a serial number
the QR code and the number itself are filled in; without one the QR area is a
placeholder.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw, ImageFont

_BACKGROUND = (253, 238, 244)
_INK = (120, 20, 60)
_ACCENT = (30, 60, 140)
_PLACEHOLDER = (215, 200, 210)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(6, size))


def _centered(
    draw: ImageDraw.ImageDraw,
    text: str,
    box: tuple[int, int, int, int],
    size: int,
    fill: tuple[int, int, int],
) -> None:
    font = _font(size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = box[0] + (box[2] - box[0] - (right - left)) // 2 - left
    y = box[1] + (box[3] - box[1] - (bottom - top)) // 2 - top
    draw.text((x, y), text, font=font, fill=fill)


@lru_cache(maxsize=16)
def _base(size_px: int) -> Image.Image:
    """The parts that never change; cached because the sandbox stamps many times per size."""
    s = size_px
    img = Image.new("RGB", (s, s), _BACKGROUND)
    draw = ImageDraw.Draw(img)
    border = max(1, s // 40)
    draw.rectangle((0, 0, s - 1, s - 1), outline=_INK, width=border)
    draw.rectangle(
        (border * 2, border * 2, s - 1 - border * 2, s - 1 - border * 2), outline=_ACCENT
    )
    _centered(draw, "METERAI", (0, int(s * 0.04), s, int(s * 0.14)), int(s * 0.085), _INK)
    _centered(draw, "ELEKTRONIK", (0, int(s * 0.13), s, int(s * 0.22)), int(s * 0.075), _INK)
    right = (int(s * 0.52), int(s * 0.30), int(s * 0.96), int(s * 0.50))
    _centered(draw, "10000", right, int(s * 0.13), _ACCENT)
    _centered(
        draw, "SEPULUH", (right[0], int(s * 0.52), right[2], int(s * 0.59)), int(s * 0.05), _INK
    )
    _centered(
        draw, "RIBU RUPIAH", (right[0], int(s * 0.59), right[2], int(s * 0.66)), int(s * 0.05), _INK
    )
    return img


def _qr_box(size_px: int) -> tuple[int, int, int]:
    """Left, top and side of the QR square."""
    return int(size_px * 0.06), int(size_px * 0.25), int(size_px * 0.46)


def specimen_image(size_px: int = 300, sn: str | None = None) -> Image.Image:
    """A square stamp picture; with ``sn`` it carries that serial number's QR code.

    A copy, so the caller may draw on it: the picture itself is drawn once per serial
    number, since the sandbox draws it twice for each (the QR in the serial number's
    answer, then the stamp's appearance), and a QR code costs milliseconds.
    """
    if size_px < 32:
        raise ValueError(f"specimen size {size_px}px is too small to be legible")
    return _drawn(size_px, sn).copy()


_KEPT = 64
_kept: OrderedDict[tuple[int, str | None], Image.Image] = OrderedDict()
_kept_lock = threading.Lock()


def _drawn(size_px: int, sn: str | None) -> Image.Image:
    """The picture drawn once per size and serial number (the last few kept)."""
    key = (size_px, sn)
    with _kept_lock:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
            return kept
    picture = _draw(size_px, sn)
    _keep(key, picture)
    return picture


def _keep(key: tuple[int, str | None], picture: Image.Image) -> None:
    with _kept_lock:
        _kept[key] = picture
        while len(_kept) > _KEPT:
            _kept.popitem(last=False)


def adopt_png(size_px: int, sn: str, png: bytes) -> None:
    """Take the picture of ``sn`` from ``png``, :func:`specimen_png`'s output for it
    (drawn in another process), so that this process does not draw it again.

    The sandbox draws a serial number's picture for the purchase's answer in one
    signing process and stamps with it, maybe in another: reading the PNG back takes
    about 1 ms, drawing the QR code again about 3. PNG is lossless, so the pixels are
    the ones drawn. A PNG of another size or mode is ignored (then it is drawn).
    """
    with _kept_lock:
        if (size_px, sn) in _kept:
            return
    picture = Image.open(io.BytesIO(png))
    picture.load()
    if picture.size == (size_px, size_px) and picture.mode == "RGB":
        _keep((size_px, sn), picture)


def _draw(size_px: int, sn: str | None) -> Image.Image:
    img = _base(size_px).copy()
    draw = ImageDraw.Draw(img)
    left, top, side = _qr_box(size_px)
    if sn is None:
        draw.rectangle((left, top, left + side, top + side), fill=_PLACEHOLDER, outline=_INK)
        _centered(draw, "QR", (left, top, left + side, top + side), int(side * 0.3), _INK)
        label = "SPESIMEN"
    else:
        img.paste(_qr(sn, side), (left, top))
        label = sn
    _centered(
        draw,
        label,
        (0, int(size_px * 0.80), size_px, int(size_px * 0.93)),
        int(size_px * 0.05),
        _INK,
    )
    return img


def _qr(data: str, side: int) -> Image.Image:
    code = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    modules = len(matrix)
    small = Image.new("1", (modules, modules), 1)
    small.putdata([0 if cell else 1 for row in matrix for cell in row])
    return small.convert("RGB").resize((side, side), Image.Resampling.NEAREST)


def specimen_png(size_px: int = 300, sn: str | None = None) -> bytes:
    """The specimen as PNG bytes, for callers that only want a file or a pixmap.

    zlib's fastest level: the sandbox draws one for every serial number it sells, and
    at Pillow's default level saving took 2.5-3 ms, now 1.6-2 ms, for 10.5 kB instead
    of 12 (the pixels are the same at every level)."""
    buf = io.BytesIO()
    specimen_image(size_px, sn).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
