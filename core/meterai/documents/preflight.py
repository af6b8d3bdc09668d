"""Pre-flight: everything the provider (or the destination) would reject, found locally first.

A stamp is paid for when the serial number is bought, so a document the provider
would refuse must be caught before that. The checks read only the structure
(header, cross-reference, catalogue, page boxes, form fields), never content
streams, so a document is judged in about the time it takes to open it. The
verdict is data (a report of findings), not an exception: the GUI shows every
problem at once, with the fix that would solve it. The provider reads the upload
with a parser of its own, so a file is stampable only when every reader we ship
reads it without complaint (``readers.readers_agree``); pypdf's verdict is taken
from pre-flight's own strict read rather than a second one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO

from pypdf import PageObject, PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, NullObject

from meterai.disk import os_reason
from meterai.documents import targets
from meterai.documents.readers import Complaint, Reader, listening, readers_agree
from meterai.documents.recovery import can_repair
from meterai.documents.targets import Target
from meterai.fsutil import open_regular
from meterai.i18n import N_
from meterai.messages import ByteSize, Message, Param

HEADER_WINDOW = 1024
"""Readers accept the ``%PDF-`` marker anywhere in the first kilobyte."""

PT_PER_MM = 72 / 25.4

_PARSE_ERRORS = (
    PyPdfError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    RecursionError,
    UnicodeError,
)
"""What pypdf raises on malformed input: such a file is damaged, not our bug."""


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(StrEnum):
    """Stable finding codes: logs, the CLI's JSON output and kiosk scripts key on them."""

    CANNOT_OPEN = "cannot_open"
    EMPTY = "empty"
    NOT_PDF = "not_pdf"
    DAMAGED = "damaged"
    ENCRYPTED = "encrypted"
    OLD_VERSION = "old_version"
    SIGNED = "signed"
    CERTIFIED = "certified"
    NO_PAGES = "no_pages"
    TOO_LARGE = "too_large"
    NOT_A4 = "not_a4"
    PAGE_TOO_SMALL = "page_too_small"
    # What lies under the stamp (``meterai.overlap``): found after placement, not by
    # pre-flight, but carried as findings so the CLI's JSON and the kiosk key on them alike.
    STAMP_COVERS_SIGNATURE = "stamp_covers_signature"
    STAMP_COVERS_FORM_FIELD = "stamp_covers_form_field"
    STAMP_COVERS_TEXT = "stamp_covers_text"
    STAMP_COVERS_IMAGE = "stamp_covers_image"
    STAMP_COVERS_ANNOTATION = "stamp_covers_annotation"
    STAMP_COVERS_DRAWING = "stamp_covers_drawing"
    STAMP_AREA_UNCHECKED = "stamp_area_unchecked"
    STAMP_MOVED = "stamp_moved"
    NO_FREE_SPOT = "no_free_spot"


class Fix(StrEnum):
    """Fixes in the order they are applied: a repair first, since it may change the rest."""

    REPAIR = "repair"
    NORMALISE = "normalise"
    FIT_A4 = "fit_a4"
    DOWNSAMPLE = "downsample"

    @property
    def automatic(self) -> bool:
        """Fixes that keep every mark of the content as it was drawn may run without asking.

        Fitting to A4 scales the pages but draws the same content, and it is only offered
        when the chosen destination refuses anything but A4; shrinking images loses detail,
        so it waits for the user.
        """
        return self in (Fix.REPAIR, Fix.NORMALISE, Fix.FIT_A4)


@dataclass(frozen=True)
class Finding:
    """One problem, with its words kept as a message id so any language can show it."""

    code: Code
    severity: Severity
    template: str
    params: Mapping[str, Param] = field(default_factory=dict, hash=False)
    fix: Fix | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def __reduce__(self) -> tuple[type[Finding], tuple[object, ...]]:
        """Pickled by its fields (a read-only view does not pickle): a batch's files are
        read in worker processes, and their findings come back."""
        return Finding, (self.code, self.severity, self.template, dict(self.params), self.fix)

    @property
    def message(self) -> Message:
        """Its words, in whatever language they are read (a kiosk's note: in both)."""
        return Message(self.template, self.params)


@dataclass(frozen=True)
class PreflightReport:
    """Every finding at once, so the user sees all problems and fixes in one go."""

    path: Path
    size: int
    pdf_version: str | None
    page_count: int | None
    findings: tuple[Finding, ...]
    target: str = targets.DEFAULT_TARGET

    @property
    def blocking(self) -> tuple[Finding, ...]:
        """Findings that stop a stamp as the file stands (a fix may still clear them)."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def ok(self) -> bool:
        """Stampable as it stands: warnings are the user's call, errors are not."""
        return not self.blocking

    @property
    def fixes(self) -> tuple[Fix, ...]:
        offered = {f.fix for f in self.findings if f.fix is not None}
        return tuple(fix for fix in Fix if fix in offered)

    @property
    def auto_fixes(self) -> tuple[Fix, ...]:
        return tuple(fix for fix in self.fixes if fix.automatic)

    @property
    def codes(self) -> tuple[Code, ...]:
        return tuple(f.code for f in self.findings)

    def finding(self, code: str) -> Finding | None:
        return next((f for f in self.findings if f.code == code), None)


@dataclass(frozen=True)
class _Facts:
    """What a successful parse learnt, besides findings."""

    version: str | None = None
    page_count: int | None = None


@dataclass(frozen=True)
class _Page:
    """A page as the reader sees it: the CropBox, rotated, in points."""

    number: int
    width: float
    height: float

    def size_params(self) -> dict[str, Param]:
        return {
            "page": self.number,
            "width": round(self.width / PT_PER_MM),
            "height": round(self.height / PT_PER_MM),
        }


def preflight(path: Path, target: str = targets.DEFAULT_TARGET) -> PreflightReport:
    """Check ``path`` against ``target`` (a key of ``TARGETS``) without changing it."""
    goal = targets.target_named(target)
    size = 0
    try:
        with open_regular(path) as fh:  # a FIFO or a device raises NotARegularFile
            size = os.fstat(fh.fileno()).st_size
            findings, facts = _inspect(path, fh, size, goal)
    except OSError as exc:
        findings = [_cannot_open(exc)]
        facts = _Facts()
    return PreflightReport(
        path=path,
        size=size,
        pdf_version=facts.version,
        page_count=facts.page_count,
        findings=tuple(findings),
        target=goal.name,
    )


def _cannot_open(exc: OSError) -> Finding:
    return Finding(
        Code.CANNOT_OPEN,
        Severity.ERROR,
        N_("The file cannot be opened: {detail}"),
        {"detail": os_reason(exc)},
    )


def _inspect(path: Path, fh: BinaryIO, size: int, goal: Target) -> tuple[list[Finding], _Facts]:
    not_pdf = _check_header(fh.read(HEADER_WINDOW), size)
    if not_pdf is not None:
        return [not_pdf], _Facts()
    fh.seek(0)
    with listening(Reader.PYPDF) as pypdf_heard:
        try:
            findings, facts = _inspect_parsed(PdfReader(fh, strict=True), size, goal)
        except _PARSE_ERRORS:
            return [_damaged(path)], _Facts()
    if Code.ENCRYPTED not in (f.code for f in findings):
        complaints = readers_agree(path, pypdf_heard=pypdf_heard)
        if complaints:
            findings.insert(0, _not_clean(path, complaints))
    return findings, facts


def _check_header(head: bytes, size: int) -> Finding | None:
    if size == 0:
        return Finding(Code.EMPTY, Severity.ERROR, N_("The file is empty."))
    if b"%PDF-" not in head:
        return Finding(
            Code.NOT_PDF,
            Severity.ERROR,
            N_("This is not a PDF file, even if its name ends in .pdf."),
        )
    return None


def _inspect_parsed(reader: PdfReader, size: int, goal: Target) -> tuple[list[Finding], _Facts]:
    if reader.is_encrypted:
        return [_encrypted(reader)], _Facts()
    version = _effective_version(reader)
    pages = [_visual_page(number, page) for number, page in enumerate(reader.pages, 1)]
    findings = [
        *_check_signatures(_catalog(reader)),
        *_check_pages(pages),
        *_check_version(version),
        *_check_size(reader, size, goal),
        *(_check_a4(pages, goal) if goal.require_a4 else ()),
        *_check_stamp_room(pages),
    ]
    return findings, _Facts(version=version, page_count=len(pages))


def _damaged(path: Path) -> Finding:
    if can_repair(path):
        return Finding(
            Code.DAMAGED,
            Severity.ERROR,
            N_(
                "The PDF is damaged (its internal index is broken), but it can be "
                "repaired without changing its content."
            ),
            fix=Fix.REPAIR,
        )
    return Finding(
        Code.DAMAGED,
        Severity.ERROR,
        N_(
            "The PDF is damaged and cannot be repaired without losing content. "
            "Export or scan the document again and add the new file."
        ),
    )


def _not_clean(path: Path, complaints: tuple[Complaint, ...]) -> Finding:
    """Some reader we ship objects: the provider's may too, after the stamp is paid for."""
    params: dict[str, Param] = {
        "readers": ", ".join(dict.fromkeys(str(c.reader) for c in complaints)),
        "detail": _most_telling(complaints).detail,
    }
    if can_repair(path):
        return Finding(
            Code.DAMAGED,
            Severity.ERROR,
            N_(
                "The PDF's internal structure has flaws that not every PDF reader accepts "
                "({readers}: {detail}), so the stamping service could refuse it after the "
                "stamp is paid for. It can be rewritten cleanly without changing its content."
            ),
            params,
            fix=Fix.REPAIR,
        )
    return reprint_advice()


def _most_telling(complaints: tuple[Complaint, ...]) -> Complaint:
    """The signing reader's words first; qpdf's longest line (its first is a generic one)."""
    order = (Reader.PYHANKO, Reader.PYPDF, Reader.QPDF)
    return min(complaints, key=lambda c: (order.index(c.reader), -len(c.detail)))


def reprint_advice() -> Finding:
    """The portal-era advice, when no rewrite here gives a file every reader accepts."""
    return Finding(
        Code.DAMAGED,
        Severity.ERROR,
        N_(
            "The PDF's internal structure is damaged in a way not every PDF reader "
            "accepts, and rewriting it does not fix that. Open it and print it to PDF "
            "again (Print, then Save as PDF), and add the new file."
        ),
    )


def _encrypted(reader: PdfReader) -> Finding:
    """Both kinds are refused by the provider (error 82); the advice differs."""
    try:
        opens_without_password = bool(reader.decrypt(""))
    except _PARSE_ERRORS:
        opens_without_password = False
    if opens_without_password:
        template = N_(
            "The PDF is encrypted with usage restrictions (an owner password). The "
            "stamping service refuses encrypted files: save a copy without protection "
            "and add that instead."
        )
    else:
        template = N_(
            "The PDF is protected with a password. The stamping service refuses "
            "protected files: save a copy without a password and add that instead."
        )
    return Finding(Code.ENCRYPTED, Severity.ERROR, template)


def _catalog(reader: PdfReader) -> DictionaryObject:
    root = reader.trailer["/Root"].get_object()
    if not isinstance(root, DictionaryObject):
        raise PyPdfError("the document catalogue is not a dictionary")
    return root


def _parse_version(text: str) -> tuple[int, int] | None:
    major, _, minor = text.strip().lstrip("/").partition(".")
    if not (major.isdigit() and minor.isdigit()):
        return None
    return int(major), int(minor)


def _effective_version(reader: PdfReader) -> str | None:
    """The later of the header and the catalogue's /Version, as readers resolve it."""
    candidates = [_parse_version(reader.pdf_header.removeprefix("%PDF-"))]
    declared = _catalog(reader).get("/Version")
    if isinstance(declared, NameObject | str):
        candidates.append(_parse_version(str(declared)))
    known = [v for v in candidates if v is not None]
    if not known:
        return None
    major, minor = max(known)
    return f"{major}.{minor}"


def _visual_page(number: int, page: PageObject) -> _Page:
    box = page.cropbox
    unit = float(page.user_unit)
    width, height = abs(float(box.width)) * unit, abs(float(box.height)) * unit
    if page.rotation % 180:
        width, height = height, width
    return _Page(number, width, height)


def _check_signatures(catalog: DictionaryObject) -> Iterator[Finding]:
    """Certified beats signed: DocMDP forbids the stamp outright (provider error 83)."""
    perms = catalog.get("/Perms")
    if isinstance(perms, DictionaryObject) and "/DocMDP" in perms:
        yield Finding(
            Code.CERTIFIED,
            Severity.ERROR,
            N_(
                "The PDF is certified (its author locked it against changes), so a stamp "
                "cannot be added. Ask the author for a copy that is not certified."
            ),
        )
    elif _has_filled_signature(catalog):
        yield Finding(
            Code.SIGNED,
            Severity.ERROR,
            N_(
                "The PDF already carries a digital signature, so a stamp cannot be added. "
                "Stamp the unsigned document first, then sign the stamped file."
            ),
        )


def _has_filled_signature(catalog: DictionaryObject) -> bool:
    form = catalog.get("/AcroForm")
    form = form.get_object() if form is not None else None
    if not isinstance(form, DictionaryObject):
        return False
    return any(_is_filled_signature(f) for f in _walk_fields(form.get("/Fields"), None, set()))


def _walk_fields(
    kids: object, inherited_type: object, seen: set[int]
) -> Iterator[tuple[DictionaryObject, object]]:
    """Yield each field with its (possibly inherited) /FT, guarding against cycles."""
    kids = kids.get_object() if hasattr(kids, "get_object") else kids
    if not isinstance(kids, ArrayObject):
        return
    for ref in kids:
        key = _object_key(ref)
        node = ref.get_object()
        if not isinstance(node, DictionaryObject) or key in seen:
            continue
        seen.add(key)
        field_type = node.get("/FT", inherited_type)
        yield node, field_type
        yield from _walk_fields(node.get("/Kids"), field_type, seen)


def _object_key(ref: object) -> int:
    """Indirect objects by number (pypdf may hand out fresh wrappers), direct ones by id."""
    return ref.idnum if isinstance(ref, IndirectObject) else -id(ref)


def _is_filled_signature(entry: tuple[DictionaryObject, object]) -> bool:
    """The value is looked at, not resolved: parsing a signature's /Contents is slow."""
    node, field_type = entry
    value = node.raw_get("/V") if "/V" in node else None
    return field_type == "/Sig" and value is not None and not isinstance(value, NullObject)


def _check_pages(pages: list[_Page]) -> Iterator[Finding]:
    if not pages:
        yield Finding(Code.NO_PAGES, Severity.ERROR, N_("The PDF has no pages."))


def _check_version(version: str | None) -> Iterator[Finding]:
    parsed = _parse_version(version or "")
    if parsed is None or parsed >= targets.MIN_PDF_VERSION:
        return
    yield Finding(
        Code.OLD_VERSION,
        Severity.ERROR,
        N_(
            "The PDF is version {version}; the stamping service needs at least {minimum}. "
            "It can be saved again as PDF {normalised} without changing its content."
        ),
        {
            "version": version or "",
            "minimum": ".".join(map(str, targets.MIN_PDF_VERSION)),
            "normalised": targets.NORMALISED_VERSION,
        },
        fix=Fix.NORMALISE,
    )


def _check_size(reader: PdfReader, size: int, goal: Target) -> Iterator[Finding]:
    if size <= goal.budget:
        return
    params: dict[str, Param] = {
        "size": ByteSize(size),
        "budget": ByteSize(goal.budget),
        "excess": ByteSize(size - goal.budget),
        "target": goal.label,
    }
    if _has_images(reader):
        template = N_(
            "The file is {size}, {excess} more than the {budget} {target} can take "
            "before stamping. Its images can be compressed to make it fit."
        )
        yield Finding(Code.TOO_LARGE, Severity.ERROR, template, params, fix=Fix.DOWNSAMPLE)
        return
    template = N_(
        "The file is {size}, {excess} more than the {budget} {target} can take before "
        "stamping. It has no images to compress: make it smaller where it was made "
        "(for example, scan at a lower resolution or in black and white)."
    )
    yield Finding(Code.TOO_LARGE, Severity.ERROR, template, params)


def _has_images(reader: PdfReader) -> bool:
    """Stops at the first image: resolving an image XObject reads its whole stream."""
    seen: set[int] = set()
    return any(_resources_have_image(page.get("/Resources"), seen, 0) for page in reader.pages)


def _resources_have_image(resources: object, seen: set[int], depth: int) -> bool:
    resources = resources.get_object() if hasattr(resources, "get_object") else resources
    if not isinstance(resources, DictionaryObject) or depth > 8:
        return False
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, DictionaryObject):
        return False
    for ref in xobjects.values():
        key = _object_key(ref)
        if key in seen:
            continue
        seen.add(key)
        xobject = ref.get_object()
        if not isinstance(xobject, DictionaryObject):
            continue
        if xobject.get("/Subtype") == "/Image":
            return True
        if _resources_have_image(xobject.get("/Resources"), seen, depth + 1):
            return True
    return False


def _check_a4(pages: list[_Page], goal: Target) -> Iterator[Finding]:
    """A warning, not an error: the provider stamps any size; only the destination asks.
    The fix fits a copy's pages to A4, scaled and centred."""
    odd = [page for page in pages if not targets.is_a4(page.width, page.height)]
    if not odd:
        return
    params: dict[str, Param] = {**odd[0].size_params(), "count": len(odd), "target": goal.label}
    if len(odd) == 1:
        template = N_(
            "Page {page} is {width} × {height} mm, not A4 (210 × 297 mm) as {target} requires."
        )
    else:
        template = N_(
            "{count} pages are not A4 (210 × 297 mm) as {target} requires; page {page}, "
            "for one, is {width} × {height} mm."
        )
    yield Finding(Code.NOT_A4, Severity.WARNING, template, params, fix=Fix.FIT_A4)


def _fits_stamp(page: _Page) -> bool:
    needed = targets.MIN_STAMP_PT + 2 * targets.STAMP_MARGIN_PT
    return page.width >= needed and page.height >= needed


def _check_stamp_room(pages: list[_Page]) -> Iterator[Finding]:
    """An error when no page can take a stamp; a warning when the default (last) page cannot."""
    if not pages or _fits_stamp(pages[-1]):
        return
    needed = round((targets.MIN_STAMP_PT + 2 * targets.STAMP_MARGIN_PT) / PT_PER_MM)
    if not any(_fits_stamp(page) for page in pages):
        largest = max(pages, key=lambda page: min(page.width, page.height))
        yield Finding(
            Code.PAGE_TOO_SMALL,
            Severity.ERROR,
            N_(
                "No page is large enough for a stamp, which needs at least "
                "{needed} × {needed} mm; the largest page is {width} × {height} mm."
            ),
            {**largest.size_params(), "needed": needed},
        )
        return
    yield Finding(
        Code.PAGE_TOO_SMALL,
        Severity.WARNING,
        N_(
            "Page {page} is too small for a stamp ({width} × {height} mm; at least "
            "{needed} × {needed} mm is needed). Place the stamp on another page."
        ),
        {**pages[-1].size_params(), "needed": needed},
    )
