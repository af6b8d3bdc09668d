"""What a viewer shows of a stamped page: poppler renders it, pixels say where the stamp is
and which way up it stands. Used where a test must see the stamp, not read its numbers."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

from meterai.placement import Rect
from meterai.specimen import specimen_image

PDFTOPPM = shutil.which("pdftoppm")
DPI = 144
SCALE = DPI / 72
TURNS = (0, 90, 180, 270)


@dataclass(frozen=True)
class SeenStamp:
    """The stamp as the page is viewed: ``box`` in points from the top-left of the page as
    shown, ``turn`` how far it is turned clockwise (0 = upright), ``page_size`` in points."""

    box: Rect
    turn: int
    page_size: tuple[float, float]


def render(pdf: Path, page_number: int, dest: Path) -> Image.Image:
    """The page at ``DPI`` as a viewer shows it: the CropBox, turned by ``/Rotate``."""
    assert PDFTOPPM is not None, "pdftoppm (poppler-utils) is not installed"
    page = str(page_number)
    options = ["-r", str(DPI), "-f", page, "-l", page, "-png", "-cropbox", "-singlefile"]
    subprocess.run(
        [PDFTOPPM, *options, str(pdf), str(dest)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with Image.open(dest.with_suffix(".png")) as image:
        return image.convert("RGB")


def seen_stamp(original: Path, stamped: Path, sn: str, page_number: int, work: Path) -> SeenStamp:
    """Where the stamp shows and which way up: the pixels the stamp changed, compared with
    the specimen carrying ``sn`` turned each way."""
    before = render(original, page_number, work / "before")
    after = render(stamped, page_number, work / "after")
    changed = ImageChops.difference(before, after).convert("L").point(lambda v: 255 if v > 8 else 0)
    bbox = changed.getbbox()
    assert bbox is not None, "the stamp changed no pixel of the page"
    side = max(bbox[2] - bbox[0], bbox[3] - bbox[1])
    picture = after.crop(bbox).resize((side, side))
    specimen = specimen_image(side, sn).convert("RGB")
    distance = {
        turn: sum(ImageStat.Stat(ImageChops.difference(picture, specimen.rotate(-turn))).mean)
        for turn in TURNS
    }
    turn = min(distance, key=lambda t: distance[t])
    others = min(d for t, d in distance.items() if t != turn)
    assert distance[turn] < 0.75 * others, f"no turn matches the specimen clearly: {distance}"
    box = Rect(*(v / SCALE for v in bbox))
    return SeenStamp(box, turn, (after.width / SCALE, after.height / SCALE))
