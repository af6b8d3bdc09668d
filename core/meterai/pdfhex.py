"""A faster reader for PDF hex strings, installed into pyHanko's parser.

pyHanko reads a hex string one byte per ``stream.read(1)``, and a signature's
``/Contents`` is one: 8,000 hex digits for the sandbox's stamp, more for a real
provider's chain. That was half of what verifying a stamped PDF cost (4 of 8 ms per
document), paid for every document the sync engine finishes.

The fast path takes only the plain case, hex digits and PDF whitespace up to ``>``,
and returns exactly what pyHanko's reader would. Anything else (a comment, a stray
character, the end of the stream) is handed back to pyHanko's own reader from the
same position, so its errors and its handling of odd files stay its own.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from typing import Any, BinaryIO

_READ_AHEAD = 1 << 16
_PLAIN = re.compile(rb"[0-9A-Fa-f \n\r\t\f\x00]*")
_WHITESPACE = b" \n\r\t\f\x00"

Reader = Callable[[BinaryIO], Any]


def install() -> bool:
    """Put the fast reader in front of pyHanko's; returns False if pyHanko changed shape.

    Safe to call more than once. A pyHanko whose parser no longer has the function we
    replace keeps its own reader: slower, never wrong.
    """
    from pyhanko.pdf_utils import generic

    current = getattr(generic, "read_hex_string_from_stream", None)
    if getattr(current, "_meterai_fast", False):
        return True
    if current is None or getattr(current, "__module__", "") != generic.__name__:
        return False
    generic.read_hex_string_from_stream = fast_reader(current, generic.pdf_string)  # type: ignore[assignment]
    return True


def fast_reader(original: Reader, pdf_string: Callable[[bytes], Any]) -> Reader:
    """``original`` with the plain case done by ``bytes`` methods instead of a byte loop."""

    def read_hex_string_from_stream(stream: BinaryIO) -> Any:
        start = stream.tell()
        digits = _plain_digits(stream, start)
        if digits is None:
            stream.seek(start)
            return original(stream)
        if len(digits) % 2:
            digits += b"0"
        return pdf_string(binascii.unhexlify(digits))

    read_hex_string_from_stream._meterai_fast = True  # type: ignore[attr-defined]
    read_hex_string_from_stream.__wrapped__ = original  # type: ignore[attr-defined]
    return read_hex_string_from_stream


def _plain_digits(stream: BinaryIO, start: int) -> bytes | None:
    """The digits between ``<`` and ``>``, the stream left just after ``>``; None if not plain."""
    seen = bytearray()
    stream.read(1)  # the opening "<", as pyHanko's reader skips it
    while True:
        chunk = stream.read(_READ_AHEAD)
        if not chunk:
            return None
        end = chunk.find(b">")
        seen += chunk if end < 0 else chunk[:end]
        if end >= 0:
            break
    if not _PLAIN.fullmatch(seen):
        return None
    stream.seek(start + 1 + len(seen) + 1)
    return bytes(seen).translate(None, _WHITESPACE)
