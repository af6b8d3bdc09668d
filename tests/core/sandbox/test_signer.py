"""The stamp is a real signature: pyHanko and poppler's pdfsig both accept it."""

from __future__ import annotations

import asyncio
import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pikepdf
import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

from meterai.sandbox import pki
from meterai.sandbox.signer import Placement, StampSigner
from tests.support import seen
from tests.support.api_client import ApiClient
from tests.support.pdfs import make_pdf
from tests.support.verifying import check_with_pdfsig, check_with_pyhanko, pdfsig_available


def test_stamp_validates_against_the_sandbox_ca(api: ApiClient, sandbox, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "three.pdf", pages=3)
    sn, stamped = api.full_stamp(pdf, page=2, box=(400.0, 50.0, 480.0, 130.0))
    assert stamped.startswith(pdf.read_bytes())  # an incremental update, nothing else changed
    stamp = check_with_pyhanko(stamped, sandbox.ca_file)
    assert stamp.intact and stamp.trusted and stamp.bottom_line
    assert stamp.reason == f"[{sn}] CASN 2024"
    assert stamp.page_index == 1
    assert stamp.rect == (400.0, 50.0, 480.0, 130.0)


def test_page_number_is_clamped(api: ApiClient, sandbox, tmp_path: Path) -> None:
    _, stamped = api.full_stamp(make_pdf(tmp_path / "two.pdf", pages=2), page=99)
    assert check_with_pyhanko(stamped, sandbox.ca_file).page_index == 1


@pytest.mark.skipif(not pdfsig_available(), reason="poppler-utils / libnss3-tools not installed")
def test_pdfsig_accepts_the_stamp(api: ApiClient, sandbox, tmp_path: Path) -> None:
    _, stamped = api.full_stamp(make_pdf(tmp_path / "a.pdf"))
    out = tmp_path / "stamped.pdf"
    out.write_bytes(stamped)
    report = check_with_pdfsig(out, sandbox.ca_file)
    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate is Trusted." in report
    assert "Total document signed" in report


@pytest.mark.skipif(seen.PDFTOPPM is None, reason="pdftoppm (poppler-utils) is not installed")
def test_the_stamp_is_upright_on_a_page_turned_through_the_page_tree(
    api: ApiClient, tmp_path: Path
) -> None:
    """/Rotate may be inherited from the page tree or negative: the specimen still reads
    upright as the page is viewed, and its widget keeps the rectangle asked for."""
    pdf = make_pdf(tmp_path / "turned.pdf", pages=2)
    with pikepdf.open(pdf, allow_overwriting_input=True) as doc:
        doc.Root.Pages.Rotate = 270  # inherited by page 1
        doc.pages[1].obj.Rotate = -90  # as viewers read it: 270
        doc.save(pdf)
    for page in (1, 2):
        sn, stamped = api.full_stamp(pdf, nodoc=f"NO-{page}", page=page)
        result = tmp_path / f"stamped-{page}.pdf"
        result.write_bytes(stamped)
        work = tmp_path / f"seen-{page}"
        work.mkdir()
        assert seen.seen_stamp(pdf, result, sn, page, work).turn == 0


def _contents_length(signed: bytes) -> int:
    reader = PdfFileReader(io.BytesIO(signed))
    (sig,) = reader.embedded_signatures
    return len(sig.sig_object.raw_get("/Contents").original_bytes)


def test_the_placeholder_is_the_size_pyhanko_would_estimate(tmp_path: Path) -> None:
    """The signer sizes /Contents once instead of by a dry-run signature per stamp:
    the result must carry the very placeholder pyHanko's own estimate gives."""
    material = pki.ensure(tmp_path / "ca")
    ours = StampSigner(material)
    pdf = make_pdf(tmp_path / "a.pdf").read_bytes()
    placement = Placement(0, (400.0, 50.0, 480.0, 130.0))
    stamped = ours.sign(pdf, "A" * 22, placement, "e-Meterai", "")

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(field_name="x", md_algorithm="sha256")
    spec = fields.SigFieldSpec(sig_field_name="x", on_page=0, box=placement.box)
    estimated = signers.PdfSigner(meta, signer=ours.signer, new_field_spec=spec).sign_pdf(writer)

    assert _contents_length(stamped) == _contents_length(estimated.getvalue())
    assert check_with_pyhanko(stamped, material.ca_file).bottom_line


def test_the_signed_attributes_are_pyhankos_own_on_every_stamp(tmp_path: Path) -> None:
    """The signer builds the attributes that never change once and reuses them: what it
    signs must still be, byte for byte, what pyHanko's own signer signs, stamp after
    stamp (another digest, another signing time each)."""
    material = pki.ensure(tmp_path / "ca")
    ours = StampSigner(material).signer
    plain = signers.SimpleSigner.load(
        key_file=str(material.signer_key),
        cert_file=str(material.signer_cert),
        ca_chain_files=(str(material.ca_file),),
    )
    assert plain is not None
    first = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    for n in range(3):
        digest = hashlib.sha256(b"document %d" % n).digest()
        settings = PdfCMSSignedAttributes(signing_time=first + timedelta(minutes=n))
        mine = asyncio.run(ours.signed_attrs(digest, "sha256", settings))
        theirs = asyncio.run(plain.signed_attrs(digest, "sha256", settings))
        assert mine.dump() == theirs.dump()
        kinds = {attr["type"].native for attr in mine}
        assert {"signing_certificate_v2", "cms_algorithm_protection", "message_digest"} <= kinds
