"""What poppler, an independent PDF renderer, shows of a PDF we printed: its words with
their boxes (``pdftotext -bbox``) and its pages as pictures (``pdftoppm``)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(
    PDFTOTEXT is None or PDFTOPPM is None, reason="poppler-utils is not installed"
)

_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)
_PAGE = re.compile(r"<page .*?</page>", re.DOTALL)


@dataclass(frozen=True)
class Word:
    """One word as the renderer placed it, in points from the page's top-left corner."""

    text: str
    x1: float
    y1: float
    x2: float
    y2: float


def words(pdf: Path) -> list[list[Word]]:
    """Every word of every page, page by page, in the renderer's reading order."""
    assert PDFTOTEXT is not None
    done = subprocess.run(
        [PDFTOTEXT, "-bbox", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return [
        [
            Word(html.unescape(m[5]), float(m[1]), float(m[2]), float(m[3]), float(m[4]))
            for m in _WORD.finditer(page)
        ]
        for page in _PAGE.findall(done.stdout)
    ]


def text(pdf: Path) -> str:
    """The text as the renderer reads it, one line per printed line."""
    assert PDFTOTEXT is not None
    done = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf), "-"], check=True, capture_output=True, timeout=60
    )
    return done.stdout.decode("utf-8")


def render(pdf: Path, dest_stem: Path, *, dpi: int = 60) -> list[Path]:
    """Each page as a PNG (``dest_stem-N.png``), as a person would look at it."""
    assert PDFTOPPM is not None
    subprocess.run(
        [PDFTOPPM, "-r", str(dpi), "-png", str(pdf), str(dest_stem)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return sorted(dest_stem.parent.glob(f"{dest_stem.name}-*.png"))
