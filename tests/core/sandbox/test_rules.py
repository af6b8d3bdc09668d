"""What the signing adapter refuses, with the provider's own codes, and its 1.7 rewrite."""

from __future__ import annotations

from pathlib import Path

from meterai.sandbox.rules import Prepared, Rejection, prepare, version_of
from tests.support import pdfs
from tests.support.signing import sign_pdf


def test_a_modern_pdf_is_signed_as_it_is(tmp_path: Path) -> None:
    data = pdfs.make_pdf(tmp_path / "a.pdf", pages=3).read_bytes()
    assert prepare(data) == Prepared(data, rewritten=False, page_count=3)


def test_an_old_pdf_is_rewritten_as_1_7_so_its_bytes_are_no_longer_a_prefix(
    tmp_path: Path,
) -> None:
    data = pdfs.make_pdf(tmp_path / "old.pdf", version="1.4").read_bytes()
    prepared = prepare(data)
    assert isinstance(prepared, Prepared) and prepared.rewritten
    assert version_of(prepared.data) == (1, 7) and not prepared.data.startswith(data)


def test_not_a_pdf_and_an_unreadable_pdf_are_code_90(tmp_path: Path) -> None:
    assert prepare(b"MZ\x90\x00 an executable") == Rejection("90", "File bukan PDF")
    unreadable = prepare(pdfs.make_garbage(tmp_path / "g.pdf").read_bytes())
    assert isinstance(unreadable, Rejection) and unreadable.code == "90"


def test_an_encrypted_pdf_is_code_82(tmp_path: Path) -> None:
    refused = prepare(pdfs.make_encrypted(tmp_path / "e.pdf").read_bytes())
    assert isinstance(refused, Rejection) and refused.code == "82"


def test_a_certified_pdf_is_code_83_and_a_signed_one_is_accepted(tmp_path: Path) -> None:
    source = pdfs.make_pdf(tmp_path / "s.pdf")
    certified = sign_pdf(source, tmp_path / "certified.pdf", certify=True).read_bytes()
    signed = sign_pdf(source, tmp_path / "signed.pdf").read_bytes()
    assert prepare(certified) == Rejection(
        "83", "Dokumen tersertifikasi (DocMDP) tidak dapat dibubuhi meterai"
    )
    assert isinstance(prepare(signed), Prepared)


def test_a_signed_pdf_changed_after_signing_is_refused(tmp_path: Path) -> None:
    signed = sign_pdf(pdfs.make_pdf(tmp_path / "s.pdf"), tmp_path / "signed.pdf").read_bytes()
    comment = signed.index(b"\n%", 5) + 2  # the binary comment after the header: signed bytes
    tampered = signed[:comment] + b"X" + signed[comment + 1 :]
    assert prepare(tampered) == Rejection("81", "Tanda tangan yang ada tidak valid")


def test_the_catalog_version_raises_the_header_version() -> None:
    assert version_of(b"%PDF-1.4\n") == (1, 4)
    assert version_of(b"no header at all") == (1, 0)
