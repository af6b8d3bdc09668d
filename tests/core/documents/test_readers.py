"""Every reader we ship must read a file without complaint before a stamp is bought for it."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from meterai.documents.readers import Reader, listening, readers_agree
from tests.support import pdfs, signing


def _readers(path: Path | bytes, **kwargs: bool) -> set[Reader]:
    return {complaint.reader for complaint in readers_agree(path, **kwargs)}


def test_clean_files_draw_no_complaint(tmp_path: Path) -> None:
    plain = pdfs.make_pdf(tmp_path / "plain.pdf", pages=3)
    signed = signing.sign_pdf(plain, tmp_path / "signed.pdf")
    for path in (plain, signed, pdfs.make_pdf(tmp_path / "old.pdf", version="1.4")):
        assert readers_agree(path) == ()
        assert readers_agree(path.read_bytes(), thorough=True) == ()


def test_an_object_freed_by_a_later_revision_is_no_complaint(tmp_path: Path) -> None:
    """Escaped (corpus: pdfminer.six 2b.pdf, pikepdf form_210966.pdf): the sandbox's
    thorough read resolved freed entries of the history, and refused after payment."""
    path = pdfs.make_with_freed_object(tmp_path / "freed.pdf")
    assert readers_agree(path.read_bytes(), thorough=True) == ()


def test_trailer_without_size_is_refused_by_the_signing_reader(tmp_path: Path) -> None:
    """pypdf reads it without a word; pyHanko, which signs, raises; qpdf warns."""
    path = pdfs.make_without_size(tmp_path / "nosize.pdf")
    assert _readers(path) == {Reader.QPDF, Reader.PYHANKO}
    assert any("/Size" in c.detail for c in readers_agree(path))


def test_an_offset_off_by_a_few_bytes_is_heard(tmp_path: Path) -> None:
    """pypdf in strict mode repairs it silently, except for a log line: that line counts."""
    path = pdfs.make_offset_off(tmp_path / "offset.pdf")
    assert _readers(path) == {Reader.QPDF, Reader.PYPDF}


def test_a_flaw_only_pypdf_sees_is_heard(tmp_path: Path) -> None:
    path = pdfs.make_unreadable_box(tmp_path / "box.pdf")
    assert _readers(path) == {Reader.PYPDF}


def test_complaints_do_not_name_the_file(tmp_path: Path) -> None:
    flawed = pdfs.make_without_size(tmp_path / "secret-name.pdf")
    garbage = pdfs.make_garbage(tmp_path / "secret-name2.pdf")
    complaints = readers_agree(flawed) + readers_agree(garbage)
    assert complaints and all("secret-name" not in c.detail for c in complaints)


def test_an_encrypted_file_is_left_to_its_own_finding(tmp_path: Path) -> None:
    assert readers_agree(pdfs.make_encrypted(tmp_path / "e.pdf")) == ()


def test_garbage_is_refused_by_every_reader(tmp_path: Path) -> None:
    garbage = pdfs.make_garbage(tmp_path / "g.pdf").read_bytes()
    assert _readers(b"%PDF-1.7\n" + garbage) == set(Reader)


def test_listening_hears_only_its_own_thread() -> None:
    logger = logging.getLogger("pypdf._reader")
    with listening(Reader.PYPDF) as heard:
        other = threading.Thread(target=logger.warning, args=("from elsewhere",))
        other.start()
        other.join()
        logger.warning("from here")
    assert heard == ["from here"]
