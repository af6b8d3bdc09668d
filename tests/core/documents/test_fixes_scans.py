"""Downsampling real-sized scans: a 20-page photographic scan fits SSCASN (issue 19)."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops, ImageStat

from meterai.documents import targets
from meterai.documents.fixes import downsample_images
from meterai.documents.preflight import preflight
from tests.support.scans import make_scan


@pytest.mark.slow
def test_a_twenty_page_photographic_scan_fits_an_sscasn_upload(tmp_path: Path) -> None:
    """It was refused: the ladder ended at quality 40, 800 px, and that left 954 KB."""
    budget = targets.target_named("sscasn").budget
    src = make_scan(tmp_path / "scan.pdf", pages=20)

    dest = downsample_images(src, tmp_path / "small.pdf", budget)

    assert dest.stat().st_size <= budget
    report = preflight(dest)
    assert (report.findings, report.page_count) == ((), 20)


def test_a_jpeg_decoded_at_a_smaller_scale_is_the_same_picture(tmp_path: Path) -> None:
    src = make_scan(tmp_path / "scan.pdf", pages=1, size=(1240, 1754))
    with pikepdf.open(src) as pdf:
        original = Image.open(io.BytesIO(pdf.pages[0].Resources.XObject.Im0.read_raw_bytes()))
        original.load()

    dest = downsample_images(src, tmp_path / "small.pdf", 60_000)

    with pikepdf.open(dest) as pdf:
        image = pdf.pages[0].Resources.XObject.Im0
        smaller = Image.open(io.BytesIO(image.read_raw_bytes())).convert("RGB")
    assert max(smaller.size) <= 1000
    expected = original.resize(smaller.size, Image.Resampling.LANCZOS)
    difference = ImageStat.Stat(ImageChops.difference(expected, smaller).convert("L")).mean[0]
    assert difference < 10, f"mean difference {difference:.1f} of 255"
