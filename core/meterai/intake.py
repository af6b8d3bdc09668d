"""Accepting a document into the outbox: the one operation the CLI, the GUI and the kiosk share.

Pre-flight, the fixes that change no visible content (unless refused), the
content-addressed copy, the placement, then the request, all before anything is
spent: a stamp is never bought for a document the provider would reject. The
document copy is written (and fsynced) before the request row that names it is
committed, so a crash leaves at most an unreferenced copy, never a request
without its document.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from meterai import doctypes
from meterai.documents import (
    AUTOMATIC_FIXES,
    DocumentStore,
    Finding,
    Fix,
    PreflightReport,
    apply_fixes,
    preflight,
)
from meterai.errors import InputError, PdfRejected
from meterai.fsutil import fsync_dir
from meterai.i18n import N_, _
from meterai.identity import Identity
from meterai.outbox.db import atomic
from meterai.outbox.store import NewRequest, Outbox, RequestRow
from meterai.placement import (
    Placement,
    Rect,
    default_placement,
    page_count,
    page_geometry,
    resolve_page,
    validate,
)
from meterai.settings import Paths


class UnknownDocType(InputError):
    code = "unknown_doc_type"
    template = N_("“{kode}” is not a document type. Known types: {known}.")


class BadDate(InputError):
    code = "bad_date"
    template = N_("“{text}” is not a date: write it as YYYY-MM-DD, for example 2026-11-24.")


@dataclass(frozen=True)
class IntakeOptions:
    doc_type: str
    page: str | int = "last"
    rect: Rect | None = None
    nodoc: str | None = None
    tgldoc: str | None = None
    nilaidoc: int | None = None
    out_dir: str | None = None
    target: str = "provider"
    fixes: Collection[Fix] = AUTOMATIC_FIXES
    customer: str | None = None
    identity: Identity | None = None


@dataclass(frozen=True)
class Accepted:
    request: RequestRow
    report: PreflightReport
    applied: tuple[Fix, ...] = field(default_factory=tuple)
    warnings: tuple[Finding, ...] = field(default_factory=tuple)


def check_options(outbox: Outbox, options: IntakeOptions) -> None:
    """Refuse bad options before any file is touched (the same for every file of a batch)."""
    types, _from_provider = doctypes.cached_types(outbox)
    if doctypes.find(types, options.doc_type) is None:
        raise UnknownDocType(kode=options.doc_type, known=", ".join(t.kode for t in types))
    if options.tgldoc is not None:
        parse_date(options.tgldoc)


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise BadDate(text=text) from exc


@dataclass(frozen=True)
class _Prepared:
    """A document checked, fixed, placed and copied in: everything but the commit."""

    path: Path
    report: PreflightReport
    applied: tuple[Fix, ...]
    placement: Placement
    sha256: str
    size: int


def queue_file(outbox: Outbox, paths: Paths, path: Path, options: IntakeOptions) -> Accepted:
    """Pre-flight ``path`` and queue it, or raise ``PdfRejected`` naming the problem."""
    check_options(outbox, options)
    prepared = _prepare(paths, path, options, sync_dir=True)
    with atomic(outbox.conn):
        return _commit(outbox, prepared, options)


def queue_files(
    outbox: Outbox, paths: Paths, items: Sequence[tuple[Path, IntakeOptions]]
) -> list[Accepted | InputError]:
    """Queue many files as one batch: one folder fsync and one transaction for all of them.

    Each copy is fsynced on its own and the folder once before the commit, so a crash
    still leaves at most unreferenced copies, never a request without its document.
    The result is aligned with ``items``: an ``Accepted`` or the ``InputError`` that
    rejected that file.
    """
    checked: set[int] = set()
    results: list[Accepted | InputError | _Prepared] = []
    for path, options in items:
        try:
            if id(options) not in checked:
                check_options(outbox, options)
                checked.add(id(options))
            results.append(_prepare(paths, path, options, sync_dir=False))
        except InputError as exc:
            results.append(exc)
    fsync_dir(paths.docs_dir)
    with atomic(outbox.conn):
        return [
            _commit(outbox, r, options) if isinstance(r, _Prepared) else r
            for r, (_path, options) in zip(results, items, strict=True)
        ]


def _prepare(paths: Paths, path: Path, options: IntakeOptions, *, sync_dir: bool) -> _Prepared:
    report = preflight(path, options.target)
    with contextlib.ExitStack() as stack:
        fixed, applied = path, tuple[Fix, ...]()
        if not report.ok and options.fixes:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="meterai-fix-")))
            fixed, applied, report = _fix(path, report, work, options.fixes)
        if report.blocking:
            raise _rejection(path, report)
        placement = _placement(fixed, report, options)
        stored = DocumentStore(paths.data_dir).put(fixed, sync_dir=sync_dir)
    return _Prepared(path, report, applied, placement, stored.sha256, stored.size)


def _commit(outbox: Outbox, prepared: _Prepared, options: IntakeOptions) -> Accepted:
    path, report, applied, rect = (
        prepared.path,
        prepared.report,
        prepared.applied,
        prepared.placement.rect,
    )
    outbox.add_document(
        prepared.sha256,
        size=prepared.size,
        page_count=report.page_count or 0,
        pdf_version=report.pdf_version or "",
        original_name=path.name,
        fixes=[str(f) for f in applied],
    )
    row = outbox.enqueue(
        NewRequest(
            doc_sha256=prepared.sha256,
            file_name=path.name,
            source_path=str(path.resolve()),
            doc_type=options.doc_type,
            page_index=prepared.placement.page_index,
            rect=(rect.x1, rect.y1, rect.x2, rect.y2),
            nodoc=options.nodoc,
            tgldoc=options.tgldoc,
            nilaidoc=options.nilaidoc,
            out_dir=options.out_dir,
            customer=options.customer,
            namejidentitas=options.identity.kind if options.identity else None,
            noidentitas=options.identity.number if options.identity else None,
            namedipungut=options.identity.name if options.identity else None,
        ),
        detail=f"queued from {path}" + (f", fixed: {', '.join(applied)}" if applied else ""),
    )
    warnings = tuple(f for f in report.findings if f not in report.blocking)
    return Accepted(row, report, applied, warnings)


def _fix(
    path: Path, report: PreflightReport, work: Path, allowed: Collection[Fix]
) -> tuple[Path, tuple[Fix, ...], PreflightReport]:
    result = apply_fixes(path, report, work, allow=allowed)
    if not result.applied:
        return path, (), report
    return result.path, result.applied, result.report


def _placement(path: Path, report: PreflightReport, options: IntakeOptions) -> Placement:
    count = report.page_count if report.page_count else page_count(path)
    index = resolve_page(options.page, count)
    geometry = page_geometry(path, index)
    if options.rect is None:
        return default_placement(geometry)
    placement = Placement(index, options.rect)
    validate(placement, geometry)
    return placement


def _rejection(path: Path, report: PreflightReport) -> PdfRejected:
    reasons = "; ".join(f.message() for f in report.blocking)
    fixable = [f for f in report.blocking if f.fix is not None]
    if fixable:
        reasons += " " + _("(A fix exists: run without --no-fix, or allow it in the app.)")
    error = PdfRejected(file=path.name, reason=reasons)
    error.findings = report.blocking  # type: ignore[attr-defined]
    return error
