"""The fast dictionary reader returns what pyHanko's own does, leaving the stream where it does."""

from __future__ import annotations

import io
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from meterai import pdfdicts
from tests.support.pdfs import make_pdf


def _original() -> Any:
    current = generic.DictionaryObject.__dict__["read_from_stream"].__func__
    return getattr(current, "__wrapped__", current)


@pytest.fixture(scope="module")
def handler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PdfFileReader]:
    """A real reader, for the indirect references read to point into."""
    path = make_pdf(tmp_path_factory.mktemp("pdfdicts") / "one.pdf", pages=1)
    with path.open("rb") as fh:
        yield PdfFileReader(io.BytesIO(fh.read()), strict=False)


def _shape(value: Any) -> Any:
    """Everything a caller can see of a parsed object: classes, values, container refs."""
    ref = getattr(value, "container_ref", None)
    seen = (type(value).__name__, None if ref is None else (ref.idnum, ref.generation))
    if isinstance(value, generic.StreamObject):
        return (*seen, _shape(dict(value)), value.encoded_data)
    if isinstance(value, dict):
        items = [(type(k).__name__, str(k), getattr(k, "container_ref", None)) for k in value]
        return (*seen, items, [_shape(v) for v in value.values()])
    if isinstance(value, list):
        return (*seen, [_shape(v) for v in value])
    if isinstance(value, generic.IndirectObject):
        return (*seen, value.idnum, value.generation, value.get_pdf_handler() is not None)
    if isinstance(value, generic.NullObject):
        return seen
    return (*seen, str(value))


def _read(reader: Any, data: bytes, handler: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """(shape or error, position after) for ``generic.read_object`` with ``reader`` in place."""
    monkeypatch.setattr(generic.DictionaryObject, "read_from_stream", staticmethod(reader))
    stream = io.BytesIO(data)
    try:
        value = generic.read_object(stream, generic.Reference(7, 0, handler))
    except Exception as exc:  # pyHanko's parse errors, whatever their class
        return ("error", type(exc).__name__), stream.tell()
    return _shape(value), stream.tell()


def _same(data: bytes, handler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = pdfdicts.fast_reader(_original(), generic)
    theirs = _read(_original(), data, handler, monkeypatch)
    ours = _read(fast, data, handler, monkeypatch)
    assert ours == theirs, data


CASES = [
    b"<< /Type /Pages /Kids [ 4 0 R 5 0 R ] /Count 2 >> endobj",
    b"<<\n/Contents 24 0 R\n/MediaBox [ 0 0 595.276 841.89 ]\n/Parent 3 0 R\n"
    b"/Resources <<\n/Font <<\n/F1 15 0 R\n>>\n>>\n/Type /Page\n/Annots [ 27 0 R ]\n>>\nendobj",
    b"<</A[1 2 3]/B<</C/D>>/E -.5/F +7/G 1./H 00012>>\x00endobj",
    b"<< /Kids [" + b" 9 0 R" * 2000 + b" ] >> endobj",  # beyond the read-ahead
    b"<< >> endobj",
    b"<< /A 1 0 R>> endobj",
    b"<< /A 0 0 R >> endobj",  # object number 0: pyHanko's error
    b"<< /A 1\x0b0 R >> endobj",  # a space pyHanko's pattern knows and the PDF does not
    b"<< /A 1 0               R >> endobj",  # "N G R" longer than pyHanko's look-ahead
    b"<< /A 1 0 Rx >> endobj",
    b"<< /A 1,5 >> endobj",
    b"<< /A 1.2.3 >> endobj",
    b"<< /A#20B 1 >> endobj",
    b"<< /A (a string) >> endobj",
    b"<< /A <4142> >> endobj",
    b"<< /A 1 % a comment\n>> endobj",
    b"<< /A 1 /A 2 >> endobj",
    b"<< /A true /B null >> endobj",
    b"<< /A >> endobj",
    b"<< 1 2 >> endobj",
    b"<< /A 1 >",
    b"<< /A 1",
    b"<< /A 1 >>",
    b"<< /A 1 >>   % c\nendobj",
    b"<< /Length 3 >>\nstream\nabc\nendstream\nendobj",
    b"<< /Length 3 >> sx endobj",
    b"<< /A /B\x80 >> endobj",
    b"<< /A [ 1 2 R ] >> endobj",
    b"<< /A [ 5 10 0 R ] /B 1 0 R >>\nendobj",
    b"<< /A 12345678901234567890 0 R >> endobj",
    b"<< /A " + b"1" * 4301 + b" >> endobj",  # too long for int(): pyHanko's error, and position
]


@pytest.mark.parametrize("data", CASES, ids=range(len(CASES)))
def test_reads_every_kind_of_dictionary_as_pyhanko_does(
    data: bytes, handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same(data, handler, monkeypatch)


_PIECES = [b"/Type", b"/Pages", b"/A", b"/Kids", b"1", b"0", b"R", b"-3", b"+.5", b"12."]
_PIECES += [b"[", b"]"]
_PIECES += [b"<<", b">>", b"4 0 R", b"(s)", b"<41>", b"%c\n", b"true", b"null", b"/a#41", b","]
_SPACES = [b" ", b"\n", b"\r\n", b"\t", b"\x00", b"\x0c", b"", b"  "]


def test_random_dictionaries_read_the_same(handler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(19)
    for _ in range(1500):
        body = b"".join(rng.choice(_PIECES) + rng.choice(_SPACES) for _ in range(rng.randrange(12)))
        plain = b"<< " + b" ".join(b"/K%d %s" % (i, rng.choice(_PIECES[4:6])) for i in range(3))
        data = rng.choice([b"<< ", plain + b" "]) + body + rng.choice([b">>", b" >> ", b""])
        after = rng.choice([b" endobj", b"\nstream\n", b"", b" 1 0 obj"])
        _same(data + after, handler, monkeypatch)


def test_every_object_of_a_real_file_reads_the_same(tmp_path: Path) -> None:
    data = make_pdf(tmp_path / "ten.pdf", pages=10).read_bytes()

    def objects() -> list[Any]:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        refs = [generic.Reference(i, 0, reader) for i in range(1, reader.trailer["/Size"])]
        return [_shape(reader.get_object(ref)) for ref in refs]

    pdfdicts.install()
    fast = objects()
    generic.DictionaryObject.read_from_stream = staticmethod(_original())  # type: ignore[method-assign]
    try:
        assert objects() == fast
    finally:
        pdfdicts.install()


def test_install_replaces_pyhankos_reader_once() -> None:
    assert pdfdicts.install()
    first = generic.DictionaryObject.__dict__["read_from_stream"]
    assert getattr(first.__func__, "_meterai_fast", False)
    assert pdfdicts.install()
    assert generic.DictionaryObject.__dict__["read_from_stream"] is first


def test_a_dictionary_with_leading_whitespace_is_pyhankos_to_refuse(handler: Any) -> None:
    """Called directly (as the trailer is), pyHanko's reader wants "<<" right there."""
    fast = pdfdicts.fast_reader(_original(), generic)
    for reader in (_original(), fast):
        with pytest.raises(generic.PdfReadError):
            reader(io.BytesIO(b" << /A 1 >> endobj"), generic.Reference(7, 0, handler))


def test_nesting_as_deep_as_the_stack_allows_reads_as_pyhanko_does(
    handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast reader's own recursion must not fail where pyHanko's would not: at the
    deepest nesting pyHanko reads (through one frame, as the installed reader calls it)
    and just beyond, the results and positions are pyHanko's."""
    original = _original()

    def through_one_frame(*args: Any, **kwargs: Any) -> Any:
        return original(*args, **kwargs)

    def data(depth: int) -> bytes:
        return b"<< /A " + b"[" * depth + b"]" * depth + b" >> endobj"

    def reads(depth: int) -> bool:
        shape, _ = _read(through_one_frame, data(depth), handler, monkeypatch)
        return shape[0] != "error"

    low, high = 1, sys.getrecursionlimit()
    assert reads(low) and not reads(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if reads(middle) else (low, middle)
    fast = pdfdicts.fast_reader(original, generic)
    for depth in range(low - 2, low + 3):
        theirs = _read(through_one_frame, data(depth), handler, monkeypatch)
        assert _read(fast, data(depth), handler, monkeypatch) == theirs, depth


def test_a_dictionary_pyhanko_reads_is_tried_once_not_at_every_level(
    handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nested dictionaries around a string: each level tried again would rescan the
    rest, quadratic in the depth (a provider's file could make verifying crawl)."""
    attempts = 0
    dictionary = pdfdicts._Plain.dictionary

    def counted(self: Any) -> Any:
        nonlocal attempts
        attempts += 1
        return dictionary(self)

    monkeypatch.setattr(pdfdicts._Plain, "dictionary", counted)
    data = b"<< " + b"/A << " * 60 + b"/S (s) " + b">> " * 60 + b">> endobj"
    _same(data, handler, monkeypatch)
    assert attempts == 1
