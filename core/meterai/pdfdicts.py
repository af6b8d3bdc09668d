"""A faster reader for plain PDF dictionaries, installed into pyHanko's parser.

Finding a stamp's page reads the page and its page-tree node: two small dictionaries
that pyHanko parses one ``stream.read(1)`` at a time, about 0.3 ms together, which was
all that verifying a stamp cost beyond pyHanko's own validation (2.1M of 24.6M
instructions per stamp checked).

The fast path takes only the plain case: names without ``#`` escapes, numbers,
indirect references, and dictionaries and arrays of those, separated by PDF
whitespace, not followed by ``stream``. It returns exactly what pyHanko's reader
would (the same classes, the same values, the same ``container_ref`` on each value,
the stream left at the same place). Anything else (a string, a comment, a duplicate
key, a stream, a token that pyHanko would read differently, the end of the read-ahead)
is handed back to pyHanko's own reader from the dictionary's start, so its errors and
its handling of odd files stay its own. So is anything the fast path itself raises (a
number too long for ``int``, nesting deeper than the stack allows): pyHanko says what
it makes of that.

Once pyHanko's reader has a dictionary, the dictionaries inside it are its own too, in
that thread: tried again, each level would rescan what its parent just failed on, and
nested dictionaries in a provider's file would make the fast path quadratic.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

_READ_AHEAD = 1 << 13
_WS = rb"[ \n\r\t\f\x00]*"
_NAME_CHARS = bytes(c for c in range(0x21, 0x7F) if c not in b"()<>[]{}/%#")
_TOKEN = re.compile(
    _WS
    + rb"(?:(?P<open><<)|(?P<close>>>)|(?P<start>\[)|(?P<end>\])"
    + rb"|/(?P<name>["
    + re.escape(_NAME_CHARS)
    + rb"]+)"
    + rb"|(?P<ref>(?P<id>[0-9]+)[ \n\r\t\f]+(?P<gen>[0-9]+)[ \n\r\t\f]+R)"
    + rb"|(?P<number>[+\-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)))"
)
# What may follow a name or a number in the plain case: the end of the token as
# pyHanko reads it (a number runs on through "+,-.": such a token is not plain).
_AFTER_TOKEN = frozenset(b" \n\r\t\f\x00()<>[]{}/%")
_SPACES = re.compile(_WS)
_INDIRECT_PEEK = 20  # pyHanko looks this far ahead for "N G R" after a number
_FALLING_BACK = threading.local()  # pyHanko's reader is reading a dictionary here


class _NotPlain(Exception):
    """The dictionary is not the plain case: pyHanko's reader takes it."""


Reader = Callable[..., Any]


def install() -> bool:
    """Put the fast reader in front of pyHanko's; returns False if pyHanko changed shape.

    Safe to call more than once. A pyHanko without the function we replace, or with a
    different idea of what starts an indirect reference, keeps its own reader.
    """
    from pyhanko.pdf_utils import generic

    current = generic.DictionaryObject.__dict__.get("read_from_stream")
    original = getattr(current, "__func__", None)
    if getattr(original, "_meterai_fast", False):
        return True
    if original is None or getattr(original, "__module__", "") != generic.__name__:
        return False
    if generic.INDIRECT_PATTERN.pattern != rb"(\d+)\s+(\d+)\s+R[^a-zA-Z]":
        return False
    generic.DictionaryObject.read_from_stream = staticmethod(fast_reader(original, generic))  # type: ignore[method-assign]
    return True


def fast_reader(original: Reader, generic: Any) -> Reader:
    """``original`` with the plain case read from one chunk by regular expressions."""

    def read_from_stream(
        stream: BinaryIO,
        container_ref: Any,
        as_metadata_stream: bool = False,
        in_content_stream: Any = generic.ContentOpReading.NO,
    ) -> Any:
        if (
            as_metadata_stream
            or in_content_stream != generic.ContentOpReading.NO
            or getattr(_FALLING_BACK, "active", False)
        ):
            return original(stream, container_ref, as_metadata_stream, in_content_stream)
        start = stream.tell()
        chunk = stream.read(_READ_AHEAD)
        try:
            parsed, end = _Plain(chunk, container_ref, generic).dictionary()
        except Exception:  # _NotPlain, or whatever the fast path tripped on
            stream.seek(start)
            _FALLING_BACK.active = True
            try:
                return original(stream, container_ref, as_metadata_stream, in_content_stream)
            finally:
                _FALLING_BACK.active = False
        stream.seek(start + end)
        return parsed

    read_from_stream._meterai_fast = True  # type: ignore[attr-defined]
    read_from_stream.__wrapped__ = original  # type: ignore[attr-defined]
    return read_from_stream


class _Plain:
    """One plain dictionary read from ``chunk``, which starts with its ``<<``."""

    def __init__(self, chunk: bytes, container_ref: Any, generic: Any) -> None:
        self.chunk = chunk
        self.container_ref = container_ref
        self.handler = container_ref.get_pdf_handler()
        self.generic = generic
        self.pos = 0

    def dictionary(self) -> tuple[Any, int]:
        """The top dictionary and the offset just after its ``>>``."""
        if not self.chunk.startswith(b"<<"):  # pyHanko's reader skips no whitespace here
            raise _NotPlain
        self.pos = 2
        parsed = self._dictionary_body()
        spaces = _SPACES.match(self.chunk, self.pos)
        following = self.chunk[spaces.end() : spaces.end() + 1] if spaces else b""
        # pyHanko then looks for "stream" (skipping comments): a stream, or a comment
        # before whatever follows, is its to read. So is a chunk that ends here.
        if following in (b"s", b"%", b""):
            raise _NotPlain
        return parsed, self.pos

    def _token(self) -> re.Match[bytes]:
        match = _TOKEN.match(self.chunk, self.pos)
        if match is None:
            raise _NotPlain
        self.pos = match.end()
        if match.lastgroup in ("name", "number", "ref"):
            following = self.chunk[self.pos : self.pos + 1]
            if not following or following[0] not in _AFTER_TOKEN:
                raise _NotPlain
        return match

    def _dictionary_body(self) -> Any:
        data: dict[Any, Any] = {}
        while True:
            token = self._token()
            if token.lastgroup == "close":
                return self.generic.DictionaryObject(data)
            if token.lastgroup != "name":
                raise _NotPlain
            key = self.generic.NameObject(_name(token["name"]))
            if key in data:  # pyHanko keeps the first and logs a warning
                raise _NotPlain
            data[key] = self._value(self._token())

    def _array_body(self) -> Any:
        array = self.generic.ArrayObject()
        while True:
            token = self._token()
            if token.lastgroup == "end":
                return array
            array.append(self._value(token))

    def _value(self, token: re.Match[bytes]) -> Any:
        kind = token.lastgroup
        if kind == "open":
            value = self._dictionary_body()
        elif kind == "start":
            value = self._array_body()
        elif kind == "name":
            value = self.generic.NameObject(_name(token["name"]))
        elif kind == "ref":
            value = self._reference(token)
        elif kind == "number":
            value = self._number(token)
        else:
            raise _NotPlain
        value.container_ref = self.container_ref
        return value

    def _reference(self, token: re.Match[bytes]) -> Any:
        """pyHanko reads "N G R" as a reference if it sees it, then a letter-free byte,
        within 20 bytes of N; beyond that it reads numbers, and so does not this."""
        if token.end() + 1 - token.start("ref") > _INDIRECT_PEEK or int(token["id"]) <= 0:
            raise _NotPlain
        return self.generic.IndirectObject(int(token["id"]), int(token["gen"]), self.handler)

    def _number(self, token: re.Match[bytes]) -> Any:
        text = token["number"]
        first = token.start("number")
        # A reference pyHanko sees here that the plain grammar did not (a vertical tab
        # for a space, say) is its to read.
        if self.generic.INDIRECT_PATTERN.match(self.chunk, first, first + _INDIRECT_PEEK):
            raise _NotPlain
        if b"." in text:
            return self.generic.FloatObject(text.decode("ascii"))
        return self.generic.NumberObject(text)


@functools.lru_cache(maxsize=1024)
def _name(plain: bytes) -> str:
    """A name's text: the same few dozen keys in every page and node."""
    return "/" + plain.decode("ascii")
