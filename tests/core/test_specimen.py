from __future__ import annotations

import io

import pytest
from PIL import Image

from meterai import specimen
from meterai.specimen import specimen_image, specimen_png


def test_specimen_png_is_square_and_sized() -> None:
    img = Image.open(io.BytesIO(specimen_png(120)))
    assert img.size == (120, 120) and img.format == "PNG"


def test_serial_number_changes_the_picture() -> None:
    blank = specimen_image(200)
    one = specimen_image(200, "AAAAAAAAAAAAAAAAAAAAAA")
    two = specimen_image(200, "BBBBBBBBBBBBBBBBBBBBBB")
    assert blank.tobytes() != one.tobytes() != two.tobytes()


def test_a_drawn_specimen_is_the_callers_own_copy() -> None:
    """The picture is drawn once per serial number; drawing on one copy must not
    change what the next caller (the stamp's appearance) gets."""
    first = specimen_image(200, "CCCCCCCCCCCCCCCCCCCCCC")
    before = first.tobytes()
    first.paste((0, 0, 0), (0, 0, 200, 200))
    assert specimen_image(200, "CCCCCCCCCCCCCCCCCCCCCC").tobytes() == before


def _not_drawn(size_px: int, sn: str | None) -> Image.Image:
    raise AssertionError(f"drew {sn} again")


def test_a_picture_read_back_from_its_png_is_the_one_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sandbox stamps with the picture a purchase drew in another signing process:
    read back from its PNG, the same pixels, without drawing the QR code again."""
    sn = "DDDDDDDDDDDDDDDDDDDDDD"
    drawn = specimen_image(300, sn).tobytes()
    png = specimen_png(300, sn)
    monkeypatch.setattr(specimen, "_kept", type(specimen._kept)())  # a process that never drew it
    monkeypatch.setattr(specimen, "_draw", _not_drawn)
    specimen.adopt_png(300, sn, png)
    assert specimen_image(300, sn).tobytes() == drawn


def test_a_png_of_another_size_is_not_taken_for_the_picture() -> None:
    sn = "EEEEEEEEEEEEEEEEEEEEEE"
    specimen.adopt_png(300, sn, specimen_png(200, sn))
    assert specimen_image(300, sn).size == (300, 300)
