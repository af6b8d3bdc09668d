"""The fast hex-string reader returns what pyHanko's own does, leaving the stream where it does."""

from __future__ import annotations

import io
import random
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

from meterai import pdfhex


def _original() -> Any:
    current = generic.read_hex_string_from_stream
    return getattr(current, "__wrapped__", current)


def _read(reader: Any, data: bytes) -> tuple[str, Any, int]:
    """(outcome, value, position after) for one read from the start of ``data``."""
    stream = io.BytesIO(data)
    try:
        value = reader(stream)
    except PdfStreamError as exc:
        return "error", str(exc), stream.tell()
    return type(value).__name__, value, stream.tell()


def _fast() -> Any:
    return pdfhex.fast_reader(_original(), generic.pdf_string)


CASES = [
    b"<>",
    b"<4142>",
    b"<414>",
    b"<41 42\n43\t44\r\x00\x0c>",
    b"<FEFF00480069> tail",
    b"<feff0048006> /Next 1 0 R",
    b"<41 % a comment\n42>",
    b"<41G2>",
    b"<4142",
    b"<4142)>",
    b"<" + b"00" * 70_000 + b">after",
]


@pytest.mark.parametrize("data", CASES, ids=range(len(CASES)))
def test_reads_every_kind_of_hex_string_as_pyhanko_does(data: bytes) -> None:
    assert _read(_fast(), data) == _read(_original(), data)


def test_random_signature_contents_read_the_same() -> None:
    rng = random.Random(7)
    for _ in range(300):
        raw = rng.randbytes(rng.randrange(0, 5000))
        text = raw.hex().upper() if rng.random() < 0.5 else raw.hex()
        cut = [text[i : i + rng.randrange(1, 80)] for i in range(0, len(text), 64)]
        spaced = rng.choice([" ", "\n", "\r\n", ""]).join(cut)
        if rng.random() < 0.3:
            spaced = spaced[:-1] if spaced else spaced
        data = b"<" + spaced.encode() + b">" + rng.randbytes(rng.randrange(0, 20))
        assert _read(_fast(), data) == _read(_original(), data)


def test_install_replaces_pyhankos_reader_once() -> None:
    assert pdfhex.install()
    first = generic.read_hex_string_from_stream
    assert getattr(first, "_meterai_fast", False)
    assert pdfhex.install()
    assert generic.read_hex_string_from_stream is first
