"""The four files a stamp checker meets: stamped, edited after the stamp, a picture of a
stamp without its signature, and no stamp at all. Made for real: the sandbox stamps
over HTTPS, the edit is an incremental revision, the picture is the specimen with its
serial number's QR code on a page image, as a scanner or "print to PDF" leaves it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from meterai.sandbox import SandboxServer, tamper
from meterai.specimen import specimen_image
from tests.support.api_client import ApiClient
from tests.support.pdfs import make_pdf

SCAN_DPI = 100


@dataclass(frozen=True)
class Received:
    stamped: Path
    revised: Path
    picture: Path
    unstamped: Path
    ca: Path
    sn: str


def received_files(folder: Path) -> Received:
    """The four files in ``folder``, with the sandbox CA that signed the stamp."""
    folder.mkdir(parents=True, exist_ok=True)
    original = make_pdf(folder / "surat.pdf", pages=2)
    with SandboxServer(folder / "sandbox") as server:
        api = ApiClient(server, timeout=60)
        api.login()
        sn, data = api.full_stamp(original, page=2)
        api.close()
        ca = folder / "ca.pem"
        ca.write_bytes(server.ca_file.read_bytes())
    stamped = folder / "surat-emeterai.pdf"
    stamped.write_bytes(data)
    revised = folder / "surat-diubah.pdf"
    revised.write_bytes(tamper.append_content(data))
    unstamped = make_pdf(folder / "polos.pdf")
    picture = picture_of_a_stamp(folder / "gambar-meterai.pdf", sn)
    return Received(stamped, revised, picture, unstamped, ca, sn)


def picture_of_a_stamp(path: Path, sn: str) -> Path:
    """An A4 page image with the stamp's picture at the bottom right, and no signature."""
    width, height = round(8.27 * SCAN_DPI), round(11.69 * SCAN_DPI)
    page = Image.new("RGB", (width, height), "white")
    stamp = specimen_image(150, sn)
    page.paste(stamp, (width - 220, height - 220))
    page.save(path, resolution=SCAN_DPI)
    return path
