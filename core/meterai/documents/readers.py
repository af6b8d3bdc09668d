"""Whether every PDF reader we ship reads a file without a word of complaint.

The provider's signing adapter reads the upload with its own parser, after the
serial number is paid for. A file one lenient parser opens (qpdf repairs almost
anything, silently unless asked) can still be refused there, and that stamp is
lost. So a file is called clean only when each reader we ship agrees:

- qpdf (through pikepdf) resolves every object and reports no warning: it
  checks each cross-reference offset, each stream length, the trailer;
- pypdf in strict mode opens it and walks its pages without logging a repair;
- pyHanko, what signs the stamp, opens it in strict mode (the cross-reference
  sections, the trailer, the catalogue and the page tree).

qpdf goes deepest and is the cheapest (C++), so the Python readers stop at what
the signing side reads, except in ``thorough`` mode, where pyHanko also resolves
every object: the sandbox, standing in for the provider, is the stricter one.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

import pikepdf
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

Source = Path | bytes


class Reader(StrEnum):
    QPDF = "qpdf"
    PYPDF = "pypdf"
    PYHANKO = "pyHanko"


_LOGGERS = {Reader.PYPDF: "pypdf", Reader.PYHANKO: "pyhanko"}
"""The Python readers say what they repaired through ``logging``, not through exceptions."""

_MAX_DETAIL = 200


@dataclass(frozen=True)
class Complaint:
    """One reader's objection, in its own (English, technical) words."""

    reader: Reader
    detail: str

    def __str__(self) -> str:
        return f"{self.reader}: {self.detail}"


def readers_agree(
    source: Source, *, pypdf_heard: Sequence[str] | None = None, thorough: bool = False
) -> tuple[Complaint, ...]:
    """Every reader's complaints about ``source``; empty when all read it cleanly.

    ``pypdf_heard`` is what pypdf said during a strict read the caller already made
    (pre-flight's own), so a clean file is not parsed by pypdf twice. An encrypted
    file gets no complaint here: that verdict is the caller's, with its own advice.
    """
    heard_pypdf = _pypdf(source) if pypdf_heard is None else list(pypdf_heard)
    named = str(source) if isinstance(source, Path) else None
    return (
        *_complaints(Reader.QPDF, _qpdf(source), named),
        *_complaints(Reader.PYPDF, heard_pypdf, named),
        *_complaints(Reader.PYHANKO, _pyhanko(source, thorough), named),
    )


@contextmanager
def listening(reader: Reader) -> Iterator[list[str]]:
    """Collect the warnings ``reader`` logs on this thread while the block runs.

    Only this thread's records: the sandbox reads uploads on several threads at once.
    """
    heard: list[str] = []
    handler = _ThreadHandler(threading.get_ident(), heard)
    logger = logging.getLogger(_LOGGERS[reader])
    logger.addHandler(handler)
    try:
        yield heard
    finally:
        logger.removeHandler(handler)


class _ThreadHandler(logging.Handler):
    def __init__(self, thread: int, heard: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.thread = thread
        self.heard = heard

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.heard.append(record.getMessage())


def _complaints(reader: Reader, details: Sequence[str], path: str | None) -> list[Complaint]:
    """Each distinct complaint once, without the file's path (messages are shown and logged)."""
    cleaned = (d.replace(f"{path}: ", "").replace(path, "") if path else d for d in details)
    unique = dict.fromkeys(d.strip(":, ")[:_MAX_DETAIL] for d in cleaned if d.strip(":, "))
    return [Complaint(reader, detail) for detail in unique]


def _stream(source: Source) -> BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def _refusal(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _qpdf(source: Source) -> list[str]:
    """qpdf warns where it had to guess; resolving every object makes it look everywhere."""
    try:
        with pikepdf.open(io.BytesIO(source) if isinstance(source, bytes) else source) as pdf:
            heard = list(pdf.get_warnings())
            for _ in pdf.objects:
                pass
            heard += pdf.get_warnings()
    except pikepdf.PasswordError:
        return []
    except Exception as exc:  # any failure of a parser on a file is its verdict on the file
        return [_refusal(exc)]
    return [str(w) for w in heard]


def _pypdf(source: Source) -> list[str]:
    with listening(Reader.PYPDF) as heard, _stream(source) as fh:
        try:
            reader = PdfReader(fh, strict=True)
            if reader.is_encrypted:
                return []
            for page in reader.pages:
                _ = (page.cropbox, page.get("/Resources"), page.get("/Contents"))
        except Exception as exc:  # any failure of a parser on a file is its verdict on the file
            heard.append(_refusal(exc))
    return heard


def _pyhanko(source: Source, thorough: bool) -> list[str]:
    """From memory: pyHanko reads a byte at a time, slower from a file than from bytes."""
    data = source if isinstance(source, bytes) else source.read_bytes()
    with listening(Reader.PYHANKO) as heard, io.BytesIO(data) as fh:
        try:
            reader = PdfFileReader(fh, strict=True)
            if reader.encrypted:
                return []
            _read_like_the_signer(reader)
            if thorough:
                _resolve_everything(reader)
        except Exception as exc:  # any failure of a parser on a file is its verdict on the file
            heard.append(_refusal(exc))
    return heard


def _read_like_the_signer(reader: PdfFileReader) -> None:
    """What the signing side reads before it signs: the catalogue, the page count, the form.

    Not the walk down to the stamped page: with a flat page tree pyHanko resolves
    every page on the way (0.14 s for 500 pages), and qpdf has already read them all.
    """
    root = reader.root
    int(root["/Pages"]["/Count"])
    form = root.get("/AcroForm")
    if isinstance(form, generic.DictionaryObject):
        form.get("/Fields")


def _resolve_everything(reader: PdfFileReader) -> None:
    """Every object the file holds now: not those a later revision freed.

    The history lists freed objects too, and pyHanko rightly refuses to read
    those (the corpus found two files an editor had deleted objects from).
    """
    xrefs = reader.xrefs
    latest = xrefs.total_revisions - 1
    live = {
        ref
        for revision in range(xrefs.total_revisions)
        for ref in xrefs.explicit_refs_in_revision(revision)
        if xrefs.get_historical_ref(ref, latest) is not None
    }
    for ref in sorted(live, key=lambda r: (r.idnum, r.generation)):
        reader.get_object(ref)  # type: ignore[no-untyped-call]
