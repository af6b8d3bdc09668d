"""The tamperer's changes are real incremental updates that keep the signed bytes intact."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from meterai.sandbox import tamper
from tests.support import pdfs
from tests.support.signing import sign_pdf


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("tamper")
    return sign_pdf(pdfs.make_pdf(folder / "a.pdf"), folder / "signed.pdf").read_bytes()


def _open(data: bytes, tmp_path: Path) -> pikepdf.Pdf:
    path = tmp_path / "changed.pdf"
    path.write_bytes(data)
    return pikepdf.open(path)


def test_appended_content_draws_on_page_one_after_the_signed_bytes(
    signed: bytes, tmp_path: Path
) -> None:
    changed = tamper.append_content(signed, "LUNAS")
    assert changed.startswith(signed) and len(changed) > len(signed)
    with _open(changed, tmp_path) as pdf:
        drawn = b"".join(s.read_bytes() for s in pdf.pages[0].obj["/Contents"])
    assert b"(LUNAS) Tj" in drawn


def test_an_appended_annotation_is_on_page_one(signed: bytes, tmp_path: Path) -> None:
    changed = tamper.append_annotation(signed, "LUNAS")
    assert changed.startswith(signed)
    with _open(changed, tmp_path) as pdf:
        texts = [str(a.get("/Contents", "")) for a in pdf.pages[0].obj.get("/Annots", [])]
    assert "LUNAS" in texts


def test_junk_is_appended_after_the_last_eof(signed: bytes) -> None:
    assert tamper.append_junk(signed) == signed + tamper.JUNK


def test_a_form_without_a_text_field_cannot_be_changed(signed: bytes) -> None:
    with pytest.raises(ValueError, match="no text field"):
        tamper.change_text_field(signed)
