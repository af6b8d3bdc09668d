"""What changed after a signature, named the way a person reads a page: content, an
annotation, or something else, from a real signed PDF and a real appended revision."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from meterai.revisions import Change, describe_changes
from meterai.sandbox import tamper
from tests.support import pdfs
from tests.support.signing import sign_pdf


def _changes_after_signing(data: bytes) -> tuple[Change, ...]:
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    (signature,) = reader.embedded_regular_signatures
    signature.compute_integrity_info()
    return describe_changes(reader, signature.signed_revision, signature.diff_result)


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("revisions")
    return sign_pdf(pdfs.make_pdf(folder / "a.pdf", pages=2), folder / "signed.pdf").read_bytes()


@pytest.mark.parametrize(
    ("change", "kind", "words"),
    [
        (tamper.append_content, "content", "content added to page 1"),
        (tamper.append_annotation, "annotation", "an annotation added or changed on page 1"),
    ],
    ids=["content", "annotation"],
)
def test_a_revision_is_named_by_what_it_changed_on_which_page(
    signed: bytes, change: Callable[[bytes], bytes], kind: str, words: str
) -> None:
    (found,) = _changes_after_signing(change(signed))
    assert (found.kind, found.message.english()) == (kind, words)


def test_bytes_that_are_no_revision_are_another_change(signed: bytes) -> None:
    (found,) = _changes_after_signing(tamper.append_junk(signed))
    assert found.kind == "other" and found.message.english().startswith("another change")


def test_two_revisions_are_both_named_once(signed: bytes) -> None:
    changes = _changes_after_signing(tamper.append_annotation(tamper.append_content(signed)))
    assert sorted(c.kind for c in changes) == ["annotation", "content"]
