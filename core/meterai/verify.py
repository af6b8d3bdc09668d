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

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meterai import pdfhex
from meterai.errors import VerificationError
from meterai.i18n import N_, _

log = logging.getLogger(__name__)

RECT_TOLERANCE_PT = 2.0
_SN_IN_REASON = re.compile(r"^\s*\[([^\]]+)\]")


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return _(self.message).format(**self.params)


@dataclass(frozen=True)
class VerificationReport:
    path: str
    checks: tuple[Check, ...]
    serial_number: str | None = None
    signer: str | None = None
    page_index: int | None = None
    rect: tuple[float, float, float, float] | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def summary(self) -> str:
        if self.ok:
            return _("The stamp is valid (serial number {sn}).").format(sn=self.serial_number)
        return "; ".join(c.text() for c in self.failures)

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "serial_number": self.serial_number,
            "signer": self.signer,
            "page": None if self.page_index is None else self.page_index + 1,
            "rect": list(self.rect) if self.rect else None,
            "checks": [
                {"name": c.name, "passed": c.passed, "message": c.text()} for c in self.checks
            ],
        }


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


def verify_stamped(path: Path, trust_roots: list[Any], expect: Expectation) -> VerificationReport:
    """Run every check; raises ``VerificationError`` only when the file cannot be read at all."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    pdfhex.install()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VerificationError(detail=str(exc)) from exc
    checks: list[Check] = []
    prefix_len = _check_prefix(data, expect.original, checks)
    try:
        import io

        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception as exc:  # pyHanko raises a variety of parse errors
        raise VerificationError(detail=f"{path.name}: {exc}") from exc

    new = [s for s in signatures if prefix_len is None or _covers_beyond(s, prefix_len)]
    if len(new) != 1:
        checks.append(
            Check(
                "one_signature",
                False,
                N_("Expected exactly one new signature, found {count}."),
                {"count": len(new)},
            )
        )
        return VerificationReport(str(path), tuple(checks))
    sig = new[0]
    checks.append(Check("one_signature", True, N_("Exactly one signature was added.")))

    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    status = validate_pdf_signature(sig, context)
    checks.append(
        Check(
            "intact",
            bool(status.intact),
            N_("The signed bytes are intact.")
            if status.intact
            else N_("The signed bytes were changed after signing."),
        )
    )
    checks.append(
        Check(
            "trusted",
            bool(status.valid and status.trusted),
            N_("The signature chains to the trusted stamping authority.")
            if status.valid and status.trusted
            else N_("The signature does not chain to this profile's trusted authority."),
        )
    )
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else None
    sn = _serial_from_reason(sig.sig_object.get("/Reason"))
    _check_serial(sn, expect.serial_number, checks)
    page_index, rect = _widget_of(reader, sig)
    _check_placement(page_index, rect, expect, checks)
    return VerificationReport(str(path), tuple(checks), sn, signer, page_index, rect)


def _check_prefix(data: bytes, original: Path | None, checks: list[Check]) -> int | None:
    if original is None:
        return None
    queued = original.read_bytes()
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


def _covers_beyond(sig: Any, prefix_len: int) -> bool:
    byte_range = [int(x) for x in sig.byte_range]
    return byte_range[-2] + byte_range[-1] > prefix_len


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
                {"sn": found},
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
            {"sn": found, "found": found, "wanted": wanted},
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
    """
    hinted = _widget_by_page_hint(reader, sig)
    return hinted if hinted is not None else _widget_by_walking(reader, sig)


def _widget_by_page_hint(reader: Any, sig: Any) -> Placed | None:
    field = sig.sig_field
    kids = [] if field.get("/Subtype") == "/Widget" else field.get("/Kids", [])
    for widget in [field] if not kids else [k.get_object() for k in kids]:
        page_ref: Any = widget.raw_get("/P") if "/P" in widget else None
        if not _is_reference(page_ref):
            continue
        page = page_ref.get_object()
        if any(a.get_object() is widget for a in page.get("/Annots", []) or []):
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


def _pages(node: Any) -> Iterator[Any]:
    node = node.get_object()
    if _is_tree_node(node):
        for kid in node["/Kids"]:
            yield from _pages(kid)
    else:
        yield node


def _widget_by_walking(reader: Any, sig: Any) -> Placed:
    name = sig.field_name
    for index, page in enumerate(_pages(reader.root["/Pages"])):
        for ref in page.get("/Annots", []) or []:
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
