"""A scan-like PDF: A4 pages of photographs at 300 dpi, as a phone scanner app makes them.

Each page is one JPEG (quality 85) of 2480 x 3508 pixels: a smooth photographic
field (soft shapes in colour), dark lines of "text", and sensor grain. Seeded, so
every run makes the same file (about 1.3 MB a page). Pillow only: the tests and
the bench (``bench/bench_fit.py``) share it.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pikepdf
from PIL import Image, ImageChops, ImageDraw, ImageFilter

A4_PX = (2480, 3508)
A4_PT = (595.28, 841.89)


def page_image(seed: int, size: tuple[int, int] = A4_PX) -> Image.Image:
    """One photographic page with text on it."""
    rng = random.Random(seed)
    w, h = size
    k = w / A4_PX[0]
    coarse = Image.new("RGB", (9, 12))
    coarse.putdata([tuple(rng.randrange(60, 220) for _ in range(3)) for _ in range(9 * 12)])
    page = coarse.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(page)
    for _ in range(25):
        x, y, r = rng.randrange(w), rng.randrange(h), int(rng.randrange(80, 600) * k)
        draw.ellipse(
            (x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(20, 235) for _ in "rgb")
        )
    page = page.filter(ImageFilter.GaussianBlur(6 * k))
    draw = ImageDraw.Draw(page)
    for line in range(40):
        y, x = int((200 + line * 80) * k), int(200 * k)
        while x < w - 300 * k:
            word = int(rng.randrange(60, 260) * k)
            draw.rectangle((x, y, x + word, y + int(28 * k)), fill=(25, 25, 30))
            x += word + int(40 * k)
    grain = Image.effect_noise(size, 4).convert("RGB")  # mean 128, sigma 4
    return ImageChops.add(page, grain, scale=1.0, offset=-128)


def make_scan(path: Path, pages: int = 20, seed: int = 19, size: tuple[int, int] = A4_PX) -> Path:
    """``pages`` photographic pages, each a full-page JPEG on an A4 page."""
    pdf = pikepdf.new()
    for i in range(pages):
        buf = io.BytesIO()
        page_image(seed + i, size).save(buf, "JPEG", quality=85)
        image = pikepdf.Stream(pdf, buf.getvalue())
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height = size
        image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
        image.Filter = pikepdf.Name.DCTDecode
        content = f"q {A4_PT[0]} 0 0 {A4_PT[1]} 0 0 cm /Im0 Do Q".encode()
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, *A4_PT],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
            Contents=pikepdf.Stream(pdf, content),
        )
        pdf.pages.append(pikepdf.Page(page))
    pdf.save(path, min_version="1.7")
    return path
