"""The stamp is a real signature: pyHanko and poppler's pdfsig both accept it."""

from __future__ import annotations

from pathlib import Path

import pytest

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
