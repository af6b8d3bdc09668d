"""Real PDFs made on the fly for tests (pikepdf/qpdf writes them, so they are well-formed)."""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import pikepdf

from tests.support.signing import test_signer

A4 = (595.0, 842.0)


def _page_content(width: float, height: float, label: str) -> bytes:
    return (
        f"BT /F1 24 Tf 72 {height - 100:.1f} Td ({label}) Tj ET\n"
        f"0 0 1 RG 2 w 36 36 {width - 72:.1f} {height - 72:.1f} re S\n"
    ).encode("latin-1")


def make_pdf(
    path: Path,
    *,
    pages: int = 1,
    size: tuple[float, float] = A4,
    rotate: int = 0,
    cropbox: Sequence[float] | None = None,
    version: str = "1.7",
    image_bytes: int = 0,
) -> Path:
    """Write a PDF with ``pages`` text pages; ``image_bytes`` adds an incompressible image.

    The image is random noise stored with /FlateDecode so the file really is about that
    large and a downsampling fix has something to do.
    """
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    image = _noise_image(pdf, image_bytes) if image_bytes else None
    width, height = size
    for i in range(pages):
        content = _page_content(width, height, f"Page {i + 1}")
        resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        if image is not None and i == 0:
            resources.XObject = pikepdf.Dictionary(Im0=image)
            content += f"q {width - 144:.1f} 0 0 {height - 144:.1f} 72 72 cm /Im0 Do Q\n".encode()
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, width, height],
            Contents=pdf.make_stream(content),
            Resources=resources,
        )
        if rotate:
            page.Rotate = rotate
        if cropbox is not None:
            page.CropBox = list(cropbox)
        pdf.pages.append(pikepdf.Page(page))
    # Each file its own document: the outbox refuses the same bytes added twice.
    pdf.docinfo[pikepdf.Name.Title] = str(path.resolve())
    pdf.save(path, force_version=version, fix_metadata_version=False)
    return path


def _noise_image(pdf: pikepdf.Pdf, approx_bytes: int) -> pikepdf.Object:
    side = max(8, int((approx_bytes / 3) ** 0.5))
    raw = os.urandom(side * side * 3)
    stream = pdf.make_stream(zlib.compress(raw, 1))
    stream.Type = pikepdf.Name.XObject
    stream.Subtype = pikepdf.Name.Image
    stream.Width = side
    stream.Height = side
    stream.ColorSpace = pikepdf.Name.DeviceRGB
    stream.BitsPerComponent = 8
    stream.Filter = pikepdf.Name.FlateDecode
    return stream


def make_encrypted(path: Path, password: str = "secret") -> Path:
    src = make_pdf(path.with_suffix(".plain.pdf"))
    with pikepdf.open(src) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(owner=password, user=password))
    src.unlink()
    return path


def make_zero_pages(path: Path) -> Path:
    pdf = pikepdf.new()
    pdf.save(path)
    return path


def make_garbage(path: Path, size: int = 4096) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def make_truncated(path: Path, keep: float = 0.6) -> Path:
    full = make_pdf(path.with_suffix(".full.pdf"), pages=3)
    data = full.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    full.unlink()
    return path


def make_cut_scan(path: Path, keep: float) -> Path:
    """A one-page scan cut inside its image: the page's drawing commands (written before
    the image) survive, the scan does not."""
    full = make_pdf(path.with_suffix(".full.pdf"), image_bytes=30_000)
    data = full.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    full.unlink()
    return path


def write_objects(path: Path, objects: Sequence[bytes], *, cut_inside: int | None = None) -> Path:
    """A PDF written object by object (1-based numbers), so a test controls their order.

    ``cut_inside`` truncates the file a few bytes into that object, as an interrupted
    copy would; otherwise the index and trailer follow.
    """
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        if number == cut_inside:
            path.write_bytes(bytes(out) + (b"%d 0 obj\n" % number + body)[:16])
            return path
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return path


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return dictionary[:-2] + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def make_lost_resources(path: Path) -> Path:
    """The page's text survives, its resources (an object of their own) and font do not."""
    text = b"BT /F1 24 Tf 72 700 Td (Surat) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources 5 0 R >>",
        _stream(b"<< >>", text),
        b"<< /Font << /F1 6 0 R >> >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return write_objects(path, objects, cut_inside=5)


def make_null_parms_broken_index(path: Path) -> Path:
    """Nothing lost but the index; the image has a legitimate ``/DecodeParms [null]``."""
    pixels = zlib.compress(b"\x80" * (8 * 8 * 3))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /XObject << /Im0 5 0 R >> >> >>",
        _stream(b"<< >>", b"q 100 0 0 100 72 72 cm /Im0 Do Q"),
        _stream(
            b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceRGB"
            b" /BitsPerComponent 8 /Filter [/FlateDecode] /DecodeParms [null] >>",
            pixels,
        ),
    ]
    data = write_objects(path, objects).read_bytes()
    cut = data.rindex(b"startxref")
    path.write_bytes(data[:cut] + b"startxref\n999999\n%%EOF\n")
    return path


def make_restricted(path: Path, owner_password: str = "owner") -> Path:
    """Encrypted with an owner password only: it opens without a password, but is encrypted."""
    src = make_pdf(path.with_suffix(".plain.pdf"))
    with pikepdf.open(src) as pdf:
        pdf.save(path, encryption=pikepdf.Encryption(owner=owner_password, user=""))
    src.unlink()
    return path


def make_broken_startxref(path: Path, pages: int = 2, version: str = "1.7") -> Path:
    """Every object intact, but ``startxref`` points nowhere: a reader must rebuild the index."""
    data = make_pdf(path, pages=pages, version=version).read_bytes()
    cut = data.rindex(b"startxref")
    path.write_bytes(data[:cut] + b"startxref\n999999\n%%EOF\n")
    return path


def make_truncated_xref(path: Path, pages: int = 2) -> Path:
    """Cut inside the cross-reference table: every object survives, the index and trailer do not."""
    data = make_pdf(path, pages=pages).read_bytes()
    path.write_bytes(data[: data.rindex(b"\nxref") + 30])
    return path


def make_signed(
    path: Path, *, certify: bool = False, tamper: bool = False, modify_after: bool = False
) -> Path:
    """A PDF the applicant already signed: certified (DocMDP), tampered, or edited after."""
    import io

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    plain = make_pdf(path.with_suffix(".plain.pdf"))
    writer = IncrementalPdfFileWriter(io.BytesIO(plain.read_bytes()))
    meta = signers.PdfSignatureMetadata(
        field_name="Applicant",
        certify=certify,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES if certify else fields.MDPPerm.FILL_FORMS,
    )
    out = io.BytesIO()
    signers.sign_pdf(writer, meta, signer=test_signer(), output=out)
    data = out.getvalue()
    plain.unlink()
    if tamper:
        data = data.replace(b"595", b"594", 1)
    if modify_after:
        w = IncrementalPdfFileWriter(io.BytesIO(data))
        stream = w.add_object(
            __import__("pyhanko.pdf_utils.generic", fromlist=["StreamObject"]).StreamObject(
                stream_data=b"0 0 1 rg 100 100 50 50 re f"
            )
        )
        w.add_stream_to_page(0, stream)
        buf = io.BytesIO()
        w.write(buf)
        data = buf.getvalue()
    path.write_bytes(data)
    return path


def make_padded(path: Path, padding_bytes: int) -> Path:
    """A large PDF without any image: random bytes in a stream only the catalogue points to."""
    make_pdf(path)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.Root.Padding = pdf.make_stream(os.urandom(padding_bytes))
        pdf.save(path)
    return path


def _one_page_objects(extra: bytes = b"") -> list[bytes]:
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]" + extra + b" /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(b"<< >>", b"BT /F1 24 Tf 72 700 Td (Surat) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]


def make_without_size(path: Path) -> Path:
    """Every object and offset right, but the trailer has no /Size: qpdf and pypdf read it,
    pyHanko (what signs) refuses. The old repair wrote exactly this for a file cut short."""
    data = write_objects(path, _one_page_objects()).read_bytes()
    path.write_bytes(data.replace(b"<< /Size 6 /Root", b"<< /Root"))
    return path


def make_offset_off(path: Path, number: int = 3, by: int = 5) -> Path:
    """Object ``number``'s entry in the cross-reference table points ``by`` bytes too far."""
    data = bytearray(write_objects(path, _one_page_objects()).read_bytes())
    entry = data.rindex(b"\nxref\n") + len(b"\nxref\n0 6\n") + 20 * number
    offset = int(data[entry : entry + 10]) + by
    data[entry : entry + 10] = b"%010d" % offset
    path.write_bytes(bytes(data))
    return path


def make_unreadable_box(path: Path) -> Path:
    """A crop box holding a string: qpdf keeps it through any rewrite, pypdf cannot read it."""
    return write_objects(path, _one_page_objects(b" /CropBox [0 0 (wide) 842]"))


def make_with_freed_object(path: Path) -> Path:
    """A later revision frees an object nothing uses, as editors do when they delete one.

    The freed entry stays in the cross-reference history; it is not a dangling reference.
    """
    objects = [*_one_page_objects(), b"<< /Unused true >>"]
    data = write_objects(path, objects).read_bytes()
    previous = int(data[data.rindex(b"startxref") + 10 :].split()[0])
    xref = len(data)
    update = b"xref\n0 1\n0000000000 65535 f \n6 1\n0000000000 00001 f \n"
    update += b"trailer\n<< /Size 7 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        previous,
        xref,
    )
    path.write_bytes(data + update)
    return path
