"""Finding a picture of an e-Meterai by its QR code, wherever a PDF keeps the image."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
import qrcode
from PIL import Image

from meterai.specimen import specimen_image
from meterai.stamp_pictures import StampPicture, find_stamp_pictures
from tests.support.pdfs import make_encrypted

SN = "AB12CD34EF56GH78IJ90KL"


def _page_with_image(path: Path, image: Image.Image, *, in_form: bool) -> Path:
    """One page drawing ``image`` directly, or through a form XObject (a flattened stamp)."""
    pdf = pikepdf.new()
    raw = image.convert("RGB")
    picture = pdf.make_stream(
        raw.tobytes(),
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=raw.width,
        Height=raw.height,
        ColorSpace=pikepdf.Name.DeviceRGB,
        BitsPerComponent=8,
    )
    draw = b"q 100 0 0 100 400 60 cm /Im0 Do Q"
    resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=picture))
    if in_form:
        form = pdf.make_stream(
            b"q 1 0 0 1 0 0 cm /Im0 Do Q",
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Form,
            BBox=[0, 0, 1, 1],
            Resources=resources,
        )
        resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm0=form))
        draw = b"q 100 0 0 100 400 60 cm /Fm0 Do Q"
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 595, 842],
        Contents=pdf.make_stream(draw),
        Resources=resources,
    )
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)
    return path


def _qr(text: str) -> Image.Image:
    return qrcode.make(text).get_image().convert("RGB")


def test_the_specimen_drawn_on_a_page_is_found_with_its_serial(tmp_path: Path) -> None:
    path = _page_with_image(tmp_path / "a.pdf", specimen_image(300, SN), in_form=False)
    assert find_stamp_pictures(path) == (StampPicture(0, SN),)
    assert find_stamp_pictures(path)[0].serial_number == SN


def test_a_stamp_flattened_into_a_form_xobject_is_found(tmp_path: Path) -> None:
    path = _page_with_image(tmp_path / "b.pdf", specimen_image(300, SN), in_form=True)
    assert [p.serial_number for p in find_stamp_pictures(path)] == [SN]


def test_a_qr_code_that_names_no_serial_is_not_a_stamp(tmp_path: Path) -> None:
    """A boarding pass or a payment QR on a document must not read as a stamp picture."""
    path = _page_with_image(tmp_path / "c.pdf", _qr("https://example.org/ticket/42"), in_form=False)
    assert find_stamp_pictures(path) == ()


def test_a_qr_code_that_says_meterai_is_a_stamp_without_a_serial(tmp_path: Path) -> None:
    path = _page_with_image(tmp_path / "d.pdf", _qr("e-meterai check"), in_form=False)
    (found,) = find_stamp_pictures(path)
    assert found.serial_number is None


def test_a_file_that_cannot_be_read_has_no_pictures_and_no_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nnot a pdf at all")
    assert find_stamp_pictures(broken) == ()


def test_an_encrypted_file_is_not_searched_and_raises_nothing(tmp_path: Path) -> None:
    """Before: pikepdf's PasswordError (not a PdfError) reached ``meterai verify`` as a
    traceback for any password-protected PDF without a signature."""
    assert find_stamp_pictures(make_encrypted(tmp_path / "locked.pdf")) == ()


def test_an_image_claiming_billions_of_pixels_is_skipped_not_decoded(tmp_path: Path) -> None:
    """A hostile file must not make the checker allocate gigabytes or hang."""
    pdf = pikepdf.new()
    bomb = pdf.make_stream(
        b"\x00" * 64,
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=100_000,
        Height=100_000,
        ColorSpace=pikepdf.Name.DeviceGray,
        BitsPerComponent=8,
    )
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=[0, 0, 595, 842],
        Contents=pdf.make_stream(b"q 100 0 0 100 0 0 cm /Im0 Do Q"),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=bomb)),
    )
    pdf.pages.append(pikepdf.Page(page))
    path = tmp_path / "bomb.pdf"
    pdf.save(path)
    assert find_stamp_pictures(path) == ()


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("points", [54, 100])
def test_a_scanned_stamp_is_read_at_every_usual_resolution(
    points: int, dpi: int, tmp_path: Path
) -> None:
    """A page is read at half size from 300 dpi up (a 20-page scan took 73 s whole,
    under 2 s so): the smallest stamp in use must still be found, and at 200 dpi,
    where halving lost it, the page is read whole."""
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    page = Image.new("RGB", (width, height), "white")
    side = round(points / 72 * dpi)
    page.paste(specimen_image(side, SN), (width - side - dpi // 2, height - side - dpi // 2))
    path = tmp_path / "scan.pdf"
    page.save(path, resolution=dpi, quality=75)
    assert [p.serial_number for p in find_stamp_pictures(path)] == [SN]
