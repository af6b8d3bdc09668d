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
