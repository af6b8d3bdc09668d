"""Pages with known things at known places, for the check of what lies under the stamp.

Every box is in PDF user space (bottom-left origin of the unrotated page), so a test can
put a thing exactly under ``default_placement``'s rectangle on a rotated, cropped page.
Poppler's ``pdftoppm`` renders them as the independent witness (the code under test
renders with PDFium).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from PIL import Image

from meterai.placement import PageGeometry, Rect, user_to_visual
from tests.support.pdfs import A4

PDFTOPPM = shutil.which("pdftoppm")
INK_BELOW = 200
"""A rendered grey below this is ink to the witness (anti-aliased edges included)."""


@dataclass(frozen=True)
class Things:
    """What to draw; each a user-space box. ``text`` boxes hold one black word."""

    text: Sequence[Rect] = ()
    image: Sequence[Rect] = ()
    drawing: Sequence[Rect] = ()
    signature_field: Sequence[Rect] = ()
    form_field: Sequence[Rect] = ()
    ink_annotation: Sequence[Rect] = ()
    in_form_xobject: Sequence[Rect] = ()
    white_background: bool = False
    grey_paper: bool = False
    extra_content: bytes = field(default=b"")


def make_page(
    path: Path,
    things: Things,
    *,
    size: tuple[float, float] = A4,
    rotate: int = 0,
    cropbox: Sequence[float] | None = None,
) -> Path:
    """A one-page PDF with ``things`` drawn on it (and nothing else)."""
    pdf = pikepdf.new()
    width, height = size
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    xobjects = pikepdf.Dictionary()
    content = _background(things, width, height)
    content += b"".join(_text(box) for box in things.text)
    content += b"".join(_drawing(box) for box in things.drawing)
    for i, box in enumerate(things.image):
        xobjects[f"/Im{i}"] = _image(pdf)
        content += f"q {box.width} 0 0 {box.height} {box.x1} {box.y1} cm /Im{i} Do Q\n".encode()
    for i, box in enumerate(things.in_form_xobject):
        xobjects[f"/Fm{i}"] = _form(pdf, box)
        content += f"q 1 0 0 1 {box.x1} {box.y1} cm /Fm{i} Do Q\n".encode()
    content += things.extra_content
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, width, height],
        Contents=pdf.make_stream(content),
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font), XObject=xobjects),
    )
    if rotate:
        page.Rotate = rotate
    if cropbox is not None:
        page.CropBox = list(cropbox)
    pdf.pages.append(pikepdf.Page(page))
    _annotate(pdf, things)
    pdf.docinfo[pikepdf.Name.Title] = str(path.resolve())
    pdf.save(path, force_version="1.7")
    return path


def _background(things: Things, width: float, height: float) -> bytes:
    if things.grey_paper:
        return f"0.85 g 0 0 {width} {height} re f 0 g\n".encode()
    if things.white_background:
        return f"1 g 0 0 {width} {height} re f 0 g\n".encode()
    return b""


def _text(box: Rect) -> bytes:
    """Black words sized to ``box``'s height, repeated along its width from the left."""
    size = box.height * 0.9
    words = " ".join(["Seal"] * max(1, round(box.width / (size * 2.2))))
    return f"BT /F1 {size:.1f} Tf {box.x1} {box.y1 + size * 0.2:.1f} Td ({words}) Tj ET\n".encode()


def _drawing(box: Rect) -> bytes:
    """A stroked diagonal cross: vector art with no fill."""
    b = box
    cross = f"{b.x1} {b.y1} m {b.x2} {b.y2} l {b.x1} {b.y2} m {b.x2} {b.y1} l"
    return f"0 0 0 RG 1.5 w {cross} S\n".encode()


def _image(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """A dark checkerboard picture, 8 x 8 pixels."""
    raw = bytes(0 if (x + y) % 2 else 90 for y in range(8) for x in range(8))
    stream = pdf.make_stream(raw)
    stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    stream.Width, stream.Height, stream.BitsPerComponent = 8, 8, 8
    stream.ColorSpace = pikepdf.Name.DeviceGray
    return stream


def _form(pdf: pikepdf.Pdf, box: Rect) -> pikepdf.Object:
    """A form XObject drawing a filled square in its own space (0,0)-(w,h)."""
    stream = pdf.make_stream(f"0 0 0 rg 0 0 {box.width} {box.height} re f\n".encode())
    stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    stream.BBox = [0, 0, box.width, box.height]
    return stream


def _annotate(pdf: pikepdf.Pdf, things: Things) -> None:
    page = pdf.pages[0]
    annots, fields = [], []
    for i, box in enumerate(things.signature_field):
        fields.append(_widget(pdf, page, box, pikepdf.Name.Sig, f"Signature{i}"))
    for i, box in enumerate(things.form_field):
        fields.append(_widget(pdf, page, box, pikepdf.Name.Tx, f"Name{i}"))
    annots.extend(fields)
    for box in things.ink_annotation:
        annots.append(_ink(pdf, box))
    if annots:
        page.obj.Annots = pikepdf.Array(annots)
    if fields:
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(fields))


def _widget(
    pdf: pikepdf.Pdf, page: pikepdf.Page, box: Rect, kind: pikepdf.Name, name: str
) -> pikepdf.Object:
    """An empty field: no appearance, so it puts no ink on the page."""
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=kind,
            T=pikepdf.String(name),
            Rect=[box.x1, box.y1, box.x2, box.y2],
            F=4,
            P=page.obj,
        )
    )


def _ink(pdf: pikepdf.Pdf, box: Rect) -> pikepdf.Object:
    """A hand-drawn stroke as a viewer saves it: an /Ink annotation with its appearance."""
    w, h = box.width, box.height
    waves = [(0.15, 0.95, 0.25, 0.05, 0.35, 0.5), (0.45, 0.95, 0.55, 0.1, 0.65, 0.45)]
    waves.append((0.75, 0.8, 0.85, 0.2, 0.98, 0.6))
    curves = " ".join(
        f"{a * w:.1f} {b * h:.1f} {c * w:.1f} {d * h:.1f} {e * w:.1f} {f * h:.1f} c"
        for a, b, c, d, e, f in waves
    )
    stroke = f"0 0 0.6 RG 1.8 w 1 J 2 {h * 0.4:.1f} m {curves} S\n"
    appearance = pdf.make_stream(stroke.encode())
    appearance.Type, appearance.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    appearance.BBox = [0, 0, w, h]
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Ink,
            Rect=[box.x1, box.y1, box.x2, box.y2],
            InkList=[[box.x1 + 2, box.y1 + 2, box.x2 - 2, box.y2 - 2]],
            F=4,
            AP=pikepdf.Dictionary(N=appearance),
        )
    )


def poppler_ink(path: Path, geometry: PageGeometry, user_rect: Rect, folder: Path) -> int:
    """Dark pixels poppler draws inside ``user_rect`` of the page, at 72 dpi (1 px per pt)."""
    assert PDFTOPPM is not None, "pdftoppm (poppler-utils) is not installed"
    stem = folder / f"witness-{path.stem}"
    page = str(geometry.number)
    options = ["-r", "72", "-gray", "-f", page, "-l", page, "-singlefile", "-png", "-cropbox"]
    subprocess.run(
        [PDFTOPPM, *options, str(path), str(stem)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    visual = user_to_visual(user_rect, geometry)
    with Image.open(stem.with_suffix(".png")) as image:
        box = (round(visual.x1), round(visual.y1), round(visual.x2), round(visual.y2))
        region = image.convert("L").crop(box)
        return sum(region.histogram()[:INK_BELOW])
