"""Check a stamped PDF against the request that produced it, before it is called done.

The verdict is data (a ``VerificationReport`` listing every check), not an exception:
an invalid stamp is a finding the user must see, while ``VerificationError`` is kept
for "could not check at all". The checks are the ones that make a stamp worth its
price: the signature is intact and chains to the active profile's trust root, the
bytes we queued are an exact prefix of the result (an incremental update that
changed nothing else), exactly one signature was added, it sits where the user put
it, and it carries the request's serial number.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from meterai import asn1names, lazyinit, pdfdicts, pdfhex
from meterai.disk import os_reason
from meterai.errors import VerificationError
from meterai.fsutil import open_regular
from meterai.i18n import N_
from meterai.messages import Message, Param
from meterai.revisions import annotations_of, array_at, describe_changes, pages

log = logging.getLogger(__name__)

RECT_TOLERANCE_PT = 2.0
_SN_IN_REASON = re.compile(r"^\s*\[([^\]]+)\]")


@dataclass(frozen=True)
class Check:
    """One verdict: ``name`` is its stable id (for scripts), ``template`` a msgid.

    ``kinds`` lists, for a failed ``unchanged`` check, what was added after the stamp
    as stable codes (``content``, ``annotation``, ``form_field``, ``other``).
    """

    name: str
    passed: bool
    template: str
    params: dict[str, Param] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()

    @property
    def message(self) -> Message:
        return Message(self.template, self.params)


@dataclass(frozen=True)
class VerificationReport:
    path: str
    checks: tuple[Check, ...]
    serial_number: str | None = None
    signer: str | None = None
    page_index: int | None = None
    rect: tuple[float, float, float, float] | None = None
    signed_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def reason(self) -> Message:
        """The verdict as data: stored by the engine, read in whatever language is chosen."""
        if self.ok:
            return Message(N_("The stamp is valid (serial number {sn})."), {"sn": self.sn_text})
        return Message.joined([c.message for c in self.failures], " ")

    @property
    def has_emeterai(self) -> bool:
        """False when the file was checked as any PDF and carries no e-Meterai signature."""
        return not any(c.name == "emeterai" and not c.passed for c in self.checks)

    @property
    def sn_text(self) -> str:
        return self.serial_number or ""

    def summary(self) -> str:
        return self.reason().text()

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "serial_number": self.serial_number,
            "signer": self.signer,
            "page": None if self.page_index is None else self.page_index + 1,
            "rect": list(self.rect) if self.rect else None,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "checks": [_check_json(c) for c in self.checks],
        }


def _check_json(check: Check) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": check.name,
        "passed": check.passed,
        "message": check.message.text(),
    }
    if check.kinds:
        out["added"] = list(check.kinds)
    return out


@dataclass(frozen=True)
class Expectation:
    """What the request asked for; every field is optional for ``meterai verify FILE``."""

    original: Path | None = None
    page_index: int | None = None
    rect: tuple[float, float, float, float] | None = None
    serial_number: str | None = None


def load_trust_roots(ca_files: list[Path]) -> list[Any]:
    from asn1crypto import pem, x509

    roots = []
    for ca in ca_files:
        data = ca.read_bytes()
        if pem.detect(data):
            for _type, _headers, der in pem.unarmor(data, multiple=True):
                roots.append(x509.Certificate.load(der))
        else:
            roots.append(x509.Certificate.load(data))
    return roots


_CHECKER_MODULES = (
    "pyhanko.pdf_utils.reader",
    "pyhanko.sign.fields",
    "pyhanko.sign.validation",
    "pyhanko_certvalidator",
)


def load_checker() -> None:
    """Import what checking a stamp needs (pyHanko's reader and validation) now rather
    than at the first check: a sync run then counts it among what its start built."""
    import importlib

    _prepare_pyhanko()
    for module in _CHECKER_MODULES:
        importlib.import_module(module)
    _install_our_readers()


def _install_our_readers() -> None:
    """Our fast readers in front of pyHanko's (hex strings, plain dictionaries) and its
    refusals kept out of the log: once per process, whichever comes first of the
    start's ``load_checker`` and the first check."""
    pdfhex.install()
    pdfdicts.install()
    _quiet_diff_refusals()


def _prepare_pyhanko() -> None:
    """Before the first ``pyhanko.sign.*`` import: the checks need its validation modules,
    not the signing API its ``__init__`` loads (with aiohttp: 0.25 CPU-s; ``lazyinit``).
    Names of the provider's certificates are prepared once per process (``asn1names``)."""
    lazyinit.defer_init("pyhanko.sign")
    asn1names.install()


def verify_stamped(path: Path, trust_roots: list[Any], expect: Expectation) -> VerificationReport:
    """Run every check; raises ``VerificationError`` only when the file cannot be read at all.

    "Cannot be read" means no PDF reader could open it (a missing file, a download cut
    before its last ``%%EOF``): the sync engine fetches such a file again. A file that
    opens but whose signature is damaged, or that carries more than the signature, is a
    report that fails, because fetching it again would not make it valid.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    _prepare_pyhanko()
    _install_our_readers()
    data = _read(path, "stamped")
    checks: list[Check] = []
    prefix_len = _check_prefix(data, expect.original, checks)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        fields = _signature_fields(reader)
    except Exception as exc:  # pyHanko raises a variety of parse errors
        # pyHanko's words are English: the log keeps them, the user reads ours.
        log.info("%s does not parse as a PDF: %s", path.name, exc)
        unreadable = Message(N_("{file} is not a PDF that can be read"), {"file": path.name})
        raise VerificationError(detail=unreadable) from exc

    stamp = _the_stamp(fields, prefix_len, checks)
    if stamp is None:
        return VerificationReport(str(path), tuple(checks))
    name, field_dict = stamp
    sig, status = _validated(reader, field_dict, name, trust_roots, checks)
    if sig is None or status is None:
        _check_trailing(data, checks)
        return VerificationReport(str(path), tuple(checks))
    if _check_integrity(status, checks):
        _check_trust(status, checks)
        _check_nothing_added(reader, sig, status, checks)
    _check_trailing(data, checks)
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else None
    sn = _serial_from_reason(sig.sig_object.get("/Reason"))
    _check_serial(sn, expect.serial_number, checks)
    page_index, rect = _widget_of(reader, sig)
    _check_placement(page_index, rect, expect, checks)
    signed_at = getattr(status, "signer_reported_dt", None)
    return VerificationReport(str(path), tuple(checks), sn, signer, page_index, rect, signed_at)


class _DropRefusal(logging.Filter):
    """Drops pyHanko's warning (and traceback) about a revision it refused."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and record.levelno <= logging.WARNING)


_DIFF_LOGGER = "pyhanko.sign.diff_analysis.policies"


def _quiet_diff_refusals() -> None:
    """pyHanko logs every revision it refuses as a warning with a traceback attached.

    For us that refusal is the verdict, reported as data with pyHanko's reason in it; a
    command without a log file would print the traceback on the user's terminal
    (Python's last-resort handler), where it reads as a crash, and the sync log would
    take one traceback per tampered file.
    """
    logger = logging.getLogger(_DIFF_LOGGER)
    if not any(isinstance(f, _DropRefusal) for f in logger.filters):
        logger.addFilter(_DropRefusal())


def _read(path: Path, role: str) -> bytes:
    """Through ``open_regular``: a named pipe given as either file would block the read."""
    try:
        with open_regular(path) as fh:
            return fh.read()
    except OSError as exc:
        said = Message(_READ_FAILED[role], {"file": path.name, "reason": os_reason(exc)})
        raise VerificationError(detail=said) from exc


_READ_FAILED = {
    "stamped": N_("the stamped file {file}: {reason}"),
    "original": N_("the original file {file}: {reason}"),
}


SignatureField = tuple[str, Any]


def _signature_fields(reader: Any) -> list[SignatureField]:
    """Every filled signature field, by name, without parsing any signature yet.

    pyHanko's ``embedded_signatures`` parses every signature while listing them, so one
    damaged signature would make the whole file unreadable; listing the fields first lets
    the damage be a verdict about that one signature.
    """
    from pyhanko.sign.fields import enumerate_sig_fields

    return [(name, field) for name, _value, field in enumerate_sig_fields(reader, True)]


# What pyHanko and asn1crypto raise on a damaged signature: a flipped hex digit in
# /Contents gives ValueError (bad DER) or AttributeError (an unknown content type that
# pyHanko's constructor does not handle), a bad /ByteRange gives ValueError, a cut
# file PdfReadError. They are caught around the one call that reads one signature.
def _damage_errors() -> tuple[type[BaseException], ...]:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.validation.errors import SignatureValidationError

    return (
        PdfError,
        SignatureValidationError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        NotImplementedError,
        AssertionError,  # pyHanko asserts the shape of a signature dictionary it reads
    )


def _validated(
    reader: Any, field_dict: Any, name: str, trust_roots: list[Any], checks: list[Check]
) -> tuple[Any, Any] | tuple[None, None]:
    """pyHanko's validation of one signature, difference analysis included.

    A signature pyHanko cannot parse or check is a failed ``intact`` check ("damaged"),
    never an exception: a flipped digit in a file is the file's problem, not ours.
    """
    from pyhanko.sign.validation import EmbeddedPdfSignature, async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    try:
        sig = EmbeddedPdfSignature(reader, field_dict.get_object(), name)
        checking = _released(async_validate_pdf_signature(sig, context), context)
        return sig, _THREAD_LOOP.run(checking)
    except _damage_errors() as exc:
        log.info("signature %s is damaged: %r", name, exc)
        unreadable = Message(N_("its data cannot be read ({error})"), {"error": _first_line(exc)})
        checks.append(Check("intact", False, _DAMAGED, {"detail": unreadable}))
        return None, None


_DAMAGED = N_("The signature is damaged: {detail}")


async def _released(checking: Any, context: Any) -> Any:
    """pyHanko's validation, then its context's network resources released: what its
    synchronous ``validate_pdf_signature`` does, on the loop this thread keeps."""
    try:
        return await checking
    finally:
        await context.aclose()


class _LoopOfThisThread(threading.local):
    """One event loop per thread, kept for the thread's life, for pyHanko's validation.

    pyHanko's synchronous ``validate_pdf_signature`` is ``asyncio.run`` around its async
    validation: a new event loop (an epoll, a socket pair, a signal handler) built and torn
    down for every stamp checked, about 0.1 ms, a fiftieth of a whole verification. The
    validation is the same coroutine on a kept loop. ``asyncio.Runner`` keeps Ctrl+C what
    ``asyncio.run`` makes it (the check is cancelled, ``KeyboardInterrupt`` raised); its
    ``loop_factory`` keeps the loop out of the thread's ``get_event_loop``, so nothing else
    finds it. The loop is closed when its thread ends (a step pool's worker, say).
    """

    def run(self, coroutine: Any) -> Any:
        kept: _ClosedWithThread | None = getattr(self, "kept", None)
        if kept is None:
            kept = self.kept = _ClosedWithThread()
        return kept.runner.run(coroutine)


class _ClosedWithThread:
    """A runner whose loop is closed when the thread's locals are dropped."""

    def __init__(self) -> None:
        self.runner = asyncio.Runner(loop_factory=asyncio.new_event_loop)

    def __del__(self) -> None:
        # A loop still running belongs to a thread that is still checking a stamp.
        with contextlib.suppress(RuntimeError):
            self.runner.close()


_THREAD_LOOP = _LoopOfThisThread()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _check_integrity(status: Any, checks: list[Check]) -> bool:
    """Intact: the digest matches, the signature value is right for it, and the byte
    range is a whole revision.

    A byte range that leaves a gap other than the signature itself, or does not end
    at a revision's ``%%EOF`` (pyHanko's coverage levels below ``ENTIRE_REVISION``),
    is a damaged signature even when the digest happens to match what it names. When
    the signature is damaged, whether it is trusted or what was added is beside the
    point, so the caller stops there.
    """
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    whole = status.coverage in (
        SignatureCoverageLevel.ENTIRE_FILE,
        SignatureCoverageLevel.ENTIRE_REVISION,
    )
    if not status.intact:
        detail = N_("the signed bytes do not match the signature")
    elif not status.valid:
        detail = N_("the signature value does not match the signed bytes")
    elif not whole:
        detail = N_("its byte range does not cover a whole revision of the file")
    else:
        checks.append(Check("intact", True, N_("The signed bytes are intact.")))
        return True
    checks.append(Check("intact", False, _DAMAGED, {"detail": Message(detail)}))
    return False


def _check_trust(status: Any, checks: list[Check]) -> None:
    trusted = bool(status.trusted)
    checks.append(
        Check(
            "trusted",
            trusted,
            N_("The signature chains to the trusted stamping authority.")
            if trusted
            else N_("The signature does not chain to this profile's trusted authority."),
        )
    )


def _check_nothing_added(reader: Any, sig: Any, status: Any, checks: list[Check]) -> None:
    """Nothing after the stamp but what a provider may add to keep it checkable.

    A stamped result is the provider's signature and nothing else. The one kind of
    later revision we accept is what pyHanko classifies as ``LTA_UPDATES``: a document
    security store (certificates, OCSP answers, CRLs) or a document timestamp, which a
    provider may append so the stamp can still be checked after its certificate
    expires. It changes nothing a reader sees. Everything above that level is refused,
    although pyHanko calls it acceptable for an approval signature like the stamp
    (no DocMDP lock): a filled form field (``FORM_FILLING``), an annotation
    (``ANNOTATIONS``), or content drawn on a page (``OTHER``) would change the stamped
    document after the fact, and "valid" must mean "exactly what was stamped".
    """
    from pyhanko.sign.diff_analysis import ModificationLevel

    level = status.modification_level
    allowed = level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
    if allowed and status.docmdp_ok is not False:
        checks.append(Check("unchanged", True, N_("Nothing was added after the stamp.")))
        return
    what = describe_changes(reader, sig.signed_revision, status.diff_result)
    checks.append(
        Check(
            "unchanged",
            False,
            N_("Something was added after the stamp: {what}."),
            {"what": Message.joined([change.message for change in what], "; ")},
            kinds=tuple(dict.fromkeys(change.kind for change in what)),
        )
    )


_EOL = (b"\r\n", b"\n", b"\r")


def _check_trailing(data: bytes, checks: list[Check]) -> None:
    """Bytes after the last ``%%EOF`` (beyond one end-of-line) fail the file.

    pyHanko ignores them (the coverage stays ``ENTIRE_REVISION`` and the difference
    analysis sees no new revision), and so do most viewers; but the signature does not
    cover them, a provider never sends them, and they can carry anything (a second
    document for a more lenient reader). A result with junk appended is therefore not
    the provider's stamped file, and must not be marked done.
    """
    end = data.rfind(b"%%EOF")
    tail = data[end + 5 :] if end >= 0 else data
    for eol in _EOL:
        if tail.startswith(eol):
            tail = tail[len(eol) :]
            break
    if not tail:
        checks.append(Check("trailing", True, N_("Nothing follows the end of the file.")))
        return
    checks.append(
        Check(
            "trailing",
            False,
            N_("The file goes on after its end ({count} bytes the signature does not cover)."),
            {"count": len(tail)},
        )
    )


def _check_prefix(data: bytes, original: Path | None, checks: list[Check]) -> int | None:
    if original is None:
        return None
    queued = _read(original, "original")
    ok = len(data) > len(queued) and data.startswith(queued)
    checks.append(
        Check(
            "prefix",
            ok,
            N_("The queued document is unchanged inside the stamped file.")
            if ok
            else N_("The stamped file does not contain the queued document unchanged."),
        )
    )
    return len(queued)


def _covers_beyond(field: SignatureField, prefix_len: int) -> bool:
    """Whether the signature signs bytes after the queued document: a new signature.

    A signature whose byte range cannot be read is counted as new, so that it is
    reported as damaged rather than silently ignored.
    """
    try:
        value = field[1].get_object()["/V"]
        byte_range = [int(x) for x in value.get_object()["/ByteRange"]]
        return byte_range[-2] + byte_range[-1] > prefix_len
    except _structure_errors():
        return True


def _the_stamp(
    fields: list[SignatureField], prefix_len: int | None, checks: list[Check]
) -> SignatureField | None:
    """The signature to check: the one added to the queued document, or for any PDF
    (no original given) the latest e-Meterai signature; ``None`` when there is none."""
    if prefix_len is None:
        stamps = _emeterai_signatures(fields, checks)
        return stamps[-1] if stamps else None
    new = [f for f in fields if _covers_beyond(f, prefix_len)]
    if len(new) != 1:
        checks.append(
            Check(
                "one_signature",
                False,
                N_("Expected exactly one new signature, found {count}."),
                {"count": len(new)},
            )
        )
        return None
    checks.append(Check("one_signature", True, N_("Exactly one signature was added.")))
    return new[0]


def _emeterai_signatures(fields: list[SignatureField], checks: list[Check]) -> list[SignatureField]:
    """The e-Meterai signatures of a file checked as any PDF, with a check saying so.

    A received document may carry other signatures (the applicant's own, signed by hand
    first): the stamp is the one whose reason names a serial number, as the provider
    signs it. A signature whose reason cannot be read counts as a stamp, so that its
    damage is reported rather than hidden.
    """
    stamps = [f for f in fields if _names_a_serial(f)]
    if stamps:
        checks.append(Check("emeterai", True, N_("The file carries an e-Meterai signature.")))
    elif fields:
        others = N_("The file carries {count} digital signature(s), but no e-Meterai.")
        checks.append(Check("emeterai", False, others, {"count": len(fields)}))
    else:
        checks.append(Check("emeterai", False, N_("The file carries no e-Meterai signature.")))
    return stamps


def _names_a_serial(field: SignatureField) -> bool:
    try:
        reason = field[1].get_object()["/V"].get_object().get("/Reason")
    except _structure_errors():
        return True
    return _serial_from_reason(reason) is not None


def _serial_from_reason(reason: Any) -> str | None:
    match = _SN_IN_REASON.match(str(reason or ""))
    return match.group(1).strip() if match else None


def _check_serial(found: str | None, wanted: str | None, checks: list[Check]) -> None:
    if wanted is None:
        checks.append(
            Check(
                "serial",
                found is not None,
                N_("The signature names serial number {sn}.")
                if found
                else N_("The signature names no serial number."),
                {"sn": str(found)},
            )
        )
        return
    checks.append(
        Check(
            "serial",
            found == wanted,
            N_("The signature names serial number {sn}.")
            if found == wanted
            else N_("The signature names serial number {found}, not {wanted}."),
            {"sn": str(found), "found": str(found), "wanted": str(wanted)},
        )
    )


Placed = tuple[int | None, tuple[float, float, float, float] | None]


def _widget_of(reader: Any, sig: Any) -> Placed:
    """The page and rectangle of the signature's widget.

    Resolving a page makes pyHanko parse its whole dictionary (about 0.1 ms each), so
    the widget's own ``/P`` is followed first and its index counted from whichever end
    of the page tree is nearer: a stamp on the last page of 500 resolves no other page.
    A widget without ``/P``, one its page does not list, or a page outside the document's
    page tree is found by walking them all. Counting trusts the tree's ``/Count`` entries,
    as pyHanko's own page lookup (which the sandbox signs by) does.

    A page tree or annotation too broken to follow leaves the stamp on no page, which
    fails the placement check: where it would be shown cannot be told.
    """
    try:
        hinted = _widget_by_page_hint(reader, sig)
        return hinted if hinted is not None else _widget_by_walking(reader, sig)
    except _structure_errors() as exc:
        log.info("the stamp's widget cannot be located: %r", exc)
        return None, None


def _widget_by_page_hint(reader: Any, sig: Any) -> Placed | None:
    field = sig.sig_field
    kids = [] if field.get("/Subtype") == "/Widget" else array_at(field, "/Kids")
    for widget in [field] if not kids else [k.get_object() for k in kids]:
        page_ref: Any = widget.raw_get("/P") if "/P" in widget else None
        if not _is_reference(page_ref):
            continue
        page = page_ref.get_object()
        if any(a.get_object() is widget for a in annotations_of(page)):
            try:
                root = reader.root.raw_get("/Pages")
                index = _index_in_tree(page_ref, page, root, depth=0)
            except _PAGE_TREE_ERRORS:
                return None
            total = int(root.get_object()["/Count"])
            return (index, _rect(widget)) if 0 <= index < total else None
    return None


def _is_reference(value: Any) -> bool:
    from pyhanko.pdf_utils.generic import IndirectObject

    return isinstance(value, IndirectObject)


_PAGE_TREE_ERRORS = (KeyError, TypeError, ValueError, StopIteration, AttributeError, RecursionError)


def _structure_errors() -> tuple[type[BaseException], ...]:
    """What reading a broken object graph raises: the above, or pyHanko's parse errors."""
    from pyhanko.pdf_utils.misc import PdfError

    return (*_PAGE_TREE_ERRORS, IndexError, PdfError)


_MAX_TREE_DEPTH = 64


def _index_in_tree(ref: Any, node: Any, root: Any, depth: int) -> int:
    """Index of the first page under ``node``: its siblings counted on the shorter side."""
    if depth > _MAX_TREE_DEPTH:
        raise RecursionError("page tree too deep or circular")
    parent_ref = node.raw_get("/Parent") if "/Parent" in node else None
    if parent_ref is None:
        if ref.reference != root.reference:
            raise ValueError("the page is not in the document's page tree")
        return 0
    parent = parent_ref.get_object()
    kids = list(parent["/Kids"])
    here = next(i for i, kid in enumerate(kids) if kid.reference == ref.reference)
    before, after = kids[:here], kids[here + 1 :]
    if len(before) <= len(after):
        offset = sum(_page_count(kid.get_object()) for kid in before)
    else:
        behind = sum(_page_count(kid.get_object()) for kid in after)
        offset = int(parent["/Count"]) - _page_count(node) - behind
    return _index_in_tree(parent_ref, parent, root, depth + 1) + offset


def _page_count(node: Any) -> int:
    return int(node["/Count"]) if _is_tree_node(node) else 1


def _is_tree_node(node: Any) -> bool:
    return bool(node.get("/Type") == "/Pages" or "/Kids" in node)


def _widget_by_walking(reader: Any, sig: Any) -> Placed:
    name = sig.field_name
    for index, page in enumerate(pages(reader.root["/Pages"])):
        for ref in annotations_of(page):
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Widget":
                continue
            parent = annot.get("/Parent")
            title = annot.get("/T") or (parent.get_object().get("/T") if parent else None)
            if str(title) == name:
                return index, _rect(annot)
    return None, None


def _rect(annot: Any) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (float(v) for v in annot["/Rect"])
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _check_placement(
    page_index: int | None,
    rect: tuple[float, float, float, float] | None,
    expect: Expectation,
    checks: list[Check],
) -> None:
    if page_index is None or rect is None:
        checks.append(Check("placement", False, N_("The stamp has no visible widget.")))
        return
    if expect.page_index is not None:
        checks.append(
            Check(
                "page",
                page_index == expect.page_index,
                N_("The stamp is on page {page}.")
                if page_index == expect.page_index
                else N_("The stamp is on page {page}, not on page {wanted}."),
                {"page": page_index + 1, "wanted": expect.page_index + 1},
            )
        )
    if expect.rect is not None:
        off = max(abs(a - b) for a, b in zip(rect, expect.rect, strict=True))
        checks.append(
            Check(
                "rect",
                off <= RECT_TOLERANCE_PT,
                N_("The stamp is where it was placed.")
                if off <= RECT_TOLERANCE_PT
                else N_("The stamp is {off} pt away from where it was placed."),
                {"off": f"{off:.1f}"},
            )
        )
