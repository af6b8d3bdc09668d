from __future__ import annotations

import io

from PIL import Image

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
