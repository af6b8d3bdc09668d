"""Documents with the structures verification once tripped on, and damage done to a stamp.

The damage is done to the bytes as a disk error or a careless tool would do it: one hex
digit of the signature value, one digit of the byte range, a byte range cut short.
Revisions appended after the stamp live in ``meterai.sandbox.tamper`` (the sandbox's
fault injection serves them too).
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf

from tests.support.pdfs import make_pdf

_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[([^\]]*)\]")
_CONTENTS = re.compile(rb"/Contents\s*<")


def with_indirect_annots(path: Path, *, text_field: bool = False) -> Path:
    """A one-page PDF whose page keeps ``/Annots`` as an indirect object (as many
    producers write it) holding a link; with ``text_field``, a filled text field too."""
    src = make_pdf(path.with_name(path.stem + "-plain.pdf"), pages=2)
    with pikepdf.open(src) as pdf:
        page = pdf.pages[0].obj
        link = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Link,
                Rect=[72, 600, 200, 620],
                Border=[0, 0, 0],
                A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://x.invalid")),
            )
        )
        annots = [link]
        if text_field:
            field = pdf.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.Widget,
                    FT=pikepdf.Name.Tx,
                    T=pikepdf.String("Name"),
                    V=pikepdf.String("as signed"),
                    Rect=[72, 700, 300, 720],
                    P=page,
                )
            )
            annots.append(field)
            pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))
        page.Annots = pdf.make_indirect(pikepdf.Array(annots))
        pdf.save(path)
    src.unlink()
    return path


def flip_contents_digit(data: bytes, offset: int) -> bytes:
    """One hex digit of the signature value changed, ``offset`` digits in."""
    found = _CONTENTS.search(data)
    assert found is not None, "no signature value"
    at = found.end() + offset
    digit = data[at : at + 1]
    assert digit in b"0123456789abcdefABCDEF", digit
    return data[:at] + (b"A" if digit != b"A" else b"B") + data[at + 1 :]


def change_byte_range(data: bytes, index: int) -> bytes:
    """The last digit of one of the byte range's four numbers changed."""
    found = _BYTE_RANGE.search(data)
    assert found is not None, "no byte range"
    numbers = found.group(1).split()
    last = numbers[index][-1:]
    numbers[index] = numbers[index][:-1] + (b"1" if last != b"1" else b"2")
    return _replace_byte_range(data, found, numbers)


def byte_range(data: bytes) -> list[int]:
    """The first signature's byte range as written."""
    found = _BYTE_RANGE.search(data)
    assert found is not None, "no byte range"
    return [int(v) for v in found.group(1).split()]


def odd_byte_range(data: bytes) -> bytes:
    """A byte range with three numbers instead of four."""
    found = _BYTE_RANGE.search(data)
    assert found is not None, "no byte range"
    return _replace_byte_range(data, found, found.group(1).split()[:3])


def _replace_byte_range(data: bytes, found: re.Match[bytes], numbers: list[bytes]) -> bytes:
    """Same length as before, so every offset after it (and the xref) stays right."""
    old = found.group(1)
    new = b" ".join(numbers).ljust(len(old))
    assert len(new) == len(old)
    return data[: found.start(1)] + new + data[found.end(1) :]
