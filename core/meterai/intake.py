"""Accepting a document into the outbox: the one operation the CLI, the GUI and the kiosk share.

Pre-flight, the fixes that change no visible content (unless refused), the
content-addressed copy, the placement, then the request, all before anything is
spent: a stamp is never bought for a document the provider would reject. The
document copy is written (and fsynced) before the request row that names it is
committed, so a crash leaves at most an unreferenced copy, never a request
without its document.

It comes in two halves so the GUI can run each where it belongs: ``prepare`` (the
CPU and file work, no database: the worker pool) and ``commit`` (one transaction:
the database worker). ``queue_file`` is both, for the CLI and the kiosk; the add
dialog's preview uses ``examine``, the verdict part of ``prepare``.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from meterai import doctypes, intake_workers
from meterai.documents import (
    AUTOMATIC_FIXES,
    Code,
    DocumentStore,
    Finding,
    Fix,
    PreflightReport,
    apply_fixes,
    preflight,
)
from meterai.documents.store import HASHERS, sha256_file
from meterai.errors import InputError, PdfRejected
from meterai.fsutil import fsync_dir
from meterai.i18n import N_
from meterai.identity import Identity
from meterai.messages import Message
from meterai.outbox.states import State, state_label
from meterai.outbox.store import NewRequest, Outbox, Replacement, RequestRow
from meterai.overlap import Checked, check_placement
from meterai.placement import (
    PageGeometry,
    Placement,
    Rect,
    Spot,
    page_count,
    page_geometry,
    resolve_page,
    validate,
)
from meterai.settings import Paths

log = logging.getLogger(__name__)

STORERS = HASHERS
"""Copies a batch makes at once: each waits mostly for its own fsync, and the disk
flushes several about as fast as one (each has its hash made on a hasher beside it)."""


class UnknownDocType(InputError):
    code = "unknown_doc_type"
    template = N_("“{kode}” is not a document type. Known types: {known}.")


class BadDate(InputError):
    code = "bad_date"
    template = N_("“{text}” is not a date: write it as YYYY-MM-DD, for example 2026-11-24.")


class DuplicateDocument(InputError):
    """The same bytes are already queued or stamped; ``existing`` is the earlier request."""

    code = "duplicate_document"
    template = N_(
        "{file} is already in the outbox as request {request_id} ({state}). Nothing was "
        "added, so no second stamp will be bought. To stamp it again on purpose, add it "
        "with --again."
    )
    existing: RequestRow


class DuplicateDone(DuplicateDocument):
    code = "duplicate_done"
    template = N_(
        "{file} was already stamped as request {request_id}: {output}. Nothing was added, "
        "so no second stamp will be bought. To stamp it again on purpose, add it with "
        "--again."
    )


def duplicate_of(path: Path, existing: RequestRow) -> DuplicateDocument:
    """The refusal naming the earlier request, its state and, once done, its stamped file."""
    error: DuplicateDocument
    if existing.state == State.DONE and existing.output_path:
        error = DuplicateDone(file=path.name, request_id=existing.id, output=existing.output_path)
    else:
        state = state_label(existing.state)
        error = DuplicateDocument(file=path.name, request_id=existing.id, state=state)
    error.existing = existing
    return error


def find_duplicate(outbox: Outbox, path: Path, sha256: str) -> DuplicateDocument | None:
    known = outbox.find_by_original(sha256)
    return duplicate_of(path, known[0]) if known else None


@dataclass(frozen=True)
class IntakeOptions:
    doc_type: str
    page: str | int = "last"
    rect: Rect | None = None
    """In PDF user space, as the GUI's canvas and a stored request give it."""
    spot: Spot | None = None
    """Where the user asked for it on the page as shown (the CLI's ``--rect``/``--at``);
    used when ``rect`` is not given, so it lands on the page as it is stamped."""
    nodoc: str | None = None
    tgldoc: str | None = None
    nilaidoc: int | None = None
    out_dir: str | None = None
    target: str = "provider"
    fixes: Collection[Fix] = AUTOMATIC_FIXES
    customer: str | None = None
    identity: Identity | None = None
    again: bool = False
    """Stamp a document already queued or stamped once more, deliberately."""
    auto_place: bool = False
    """Move a stamp that would hide something to the nearest free spot (``--place auto``)."""
    strict_placement: bool = False
    """Refuse a stamp that would hide something, instead of queueing it with a warning."""


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
class Examined:
    """A document's verdict before and after the allowed fixes; ``document`` is the file
    the stamp would land on (the fixed copy in the caller's work folder, or ``path``)."""

    path: Path
    original: PreflightReport
    report: PreflightReport
    applied: tuple[Fix, ...]
    document: Path


def examine(path: Path, target: str, allow: Collection[Fix], work: Callable[[], Path]) -> Examined:
    """Pre-flight ``path`` and apply the allowed fixes it offers into the folder ``work()``
    gives (asked only when a fix runs): the verdict the CLI refuses on and the add dialog
    shows, from one piece of code."""
    report = preflight(path, target)
    if not any(fix in allow for fix in report.fixes):
        return Examined(path, report, report, (), path)
    result = apply_fixes(path, report, work(), allow=allow)
    if not result.applied:
        return Examined(path, report, report, (), path)
    return Examined(path, report, result.report, result.applied, result.path)


@dataclass(frozen=True)
class Prepared:
    """A document checked, fixed, placed and copied in: everything but the commit."""

    path: Path
    report: PreflightReport
    applied: tuple[Fix, ...]
    placement: Placement
    sha256: str
    size: int
    original_sha256: str
    placed: tuple[Finding, ...] = ()
    """What the check of the area under the stamp found (``meterai.overlap``)."""


def queue_file(outbox: Outbox, paths: Paths, path: Path, options: IntakeOptions) -> Accepted:
    """Pre-flight ``path`` and queue it, or raise ``PdfRejected`` naming the problem."""
    check_options(outbox, options)
    return commit(outbox, prepare(paths, path, options), options)


def commit(outbox: Outbox, prepared: Prepared, options: IntakeOptions) -> Accepted:
    """The database half: the duplicate check, the document's row, the request and its
    journal row, in one transaction (on the GUI's database worker)."""
    with outbox.atomic():
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
    refusals = _option_refusals(outbox, items)
    accepted = [item for item, refused in zip(items, refusals, strict=True) if refused is None]
    prepared = iter(_prepare_all(paths, accepted))
    results = [refused or next(prepared) for refused in refusals]
    fsync_dir(paths.docs_dir)
    with outbox.atomic():
        return [
            _commit_one(outbox, r, options) if isinstance(r, Prepared) else r
            for r, (_path, options) in zip(results, items, strict=True)
        ]


def _option_refusals(
    outbox: Outbox, items: Sequence[tuple[Path, IntakeOptions]]
) -> list[InputError | None]:
    """Each file's refusal for its options (checked once per options object), or ``None``."""
    checked: set[int] = set()
    refusals: list[InputError | None] = []
    for _path, options in items:
        try:
            if id(options) not in checked:
                check_options(outbox, options)
                checked.add(id(options))
            refusals.append(None)
        except InputError as exc:
            refusals.append(exc)
    return refusals


def _prepare_all(
    paths: Paths, items: Sequence[tuple[Path, IntakeOptions]]
) -> list[Prepared | InputError]:
    """``prepare`` for each file, reading the next files on workers (``intake_workers``:
    a process per core) while threads here copy the ones read in (``STORERS`` at once).

    The reading half is CPU (pre-flight, PDFium drawing what lies under the stamp), the
    copy is the disk (the kernel's copy, the fsync) and the hash: side by side they take
    about the longer of the two rather than the sum. Copies go in several at a time
    because each waits for its own fsync, and the disk takes several flushes at once
    about as fast as one (the batch's copies in a row were the floor ``cp`` pays). A file
    is copied in only once it is read and not refused, as ``prepare`` does; the results
    keep the batch's order, and nothing is committed before every copy is durable.
    """
    # The batch's fixed copies go in one folder of this process's, so that what a worker
    # killed mid-fix leaves behind goes too.
    with (
        tempfile.TemporaryDirectory(prefix="meterai-fix-") as scratch,
        intake_workers.readers(len(items)) as (readers, ahead),
    ):
        read = partial(_read_on, readers, Path(scratch))
        looks = [read(item) for item in items[:ahead]]
        handed: list[_Looked | InputError] = []
        storing: list[Future[Prepared | InputError]] = []
        storers = ThreadPoolExecutor(max_workers=STORERS, thread_name_prefix="meterai-store")
        try:
            for i, item in enumerate(items):
                if i + ahead < len(items):
                    looks.append(read(items[i + ahead]))
                if i >= STORERS:
                    storing[i - STORERS].result()  # a full disk stops the batch here
                handed.append(_looked(looks[i], item, Path(scratch)))
                storing.append(storers.submit(_stored, paths, handed[i]))
            return [store.result() for store in storing]
        finally:
            storers.shutdown(wait=True, cancel_futures=True)
            _abandon(looks[len(handed) :])
            _abandon_unstored(storing, handed)


def _looked(
    look: Future[_Looked], item: tuple[Path, IntakeOptions], scratch: Path
) -> _Looked | InputError:
    """What a worker read, its refusal, or (the worker died) the file read again here."""
    try:
        return look.result()
    except InputError as exc:
        return exc
    except BrokenProcessPool:
        # A worker died (killed, out of memory): read the file again here, rather than
        # lose it or refuse it for something that is not its fault.
        log.warning("a reading worker stopped; %s is read in this process", item[0].name)
        try:
            return _look(*item, scratch)
        except InputError as exc:
            return exc


def _stored(paths: Paths, looked: _Looked | InputError) -> Prepared | InputError:
    if isinstance(looked, InputError):
        return looked
    return _store(paths, looked, sync_dir=False)


def _read_on(readers: Executor, scratch: Path, item: tuple[Path, IntakeOptions]) -> Future[_Looked]:
    """``_look`` at ``item`` on a worker; a pool whose worker died takes no more work, and
    its answer is that error (``_looked`` then reads the file here)."""
    try:
        return readers.submit(_look, *item, scratch)
    except BrokenProcessPool as exc:
        broken: Future[_Looked] = Future()
        broken.set_exception(exc)
        return broken


def _abandon(looks: Sequence[Future[_Looked]]) -> None:
    """After a failure mid-batch (a full disk): files read but not copied in free their
    temporary folders."""
    for look in looks:
        if not look.cancel() and look.exception() is None:
            _remove_scratch(look.result().scratch)


def _abandon_unstored(
    storing: Sequence[Future[Prepared | InputError]], handed: Sequence[_Looked | InputError]
) -> None:
    """Files read but whose copy never started (the batch stopped first) free their
    temporary folders; a copy that ran freed its own."""
    for store, looked in zip(storing, handed, strict=False):
        if store.cancelled() and isinstance(looked, _Looked):
            _remove_scratch(looked.scratch)


def _commit_one(
    outbox: Outbox, prepared: Prepared, options: IntakeOptions
) -> Accepted | InputError:
    """One file of a batch, in a savepoint: a duplicate found at commit refuses that file only."""
    try:
        with outbox.atomic():
            return _commit(outbox, prepared, options)
    except InputError as exc:
        return exc


def prepare(paths: Paths, path: Path, options: IntakeOptions, *, sync_dir: bool = True) -> Prepared:
    """The file half: pre-flight, fixes, placement, hashing and the content-addressed copy,
    no database (on the GUI's worker pool). A document that cannot be stamped is refused
    with ``PdfRejected``, its ``findings`` the blocking ones."""
    return _store(paths, _look(path, options), sync_dir=sync_dir)


@dataclass(frozen=True)
class _Looked:
    """A file read and placed, not yet copied in (plain data: it may come from a worker
    process)."""

    seen: Examined
    placed: Checked
    scratch: Path | None = None
    """The fixed copy's temporary folder, removed once the copy is stored."""


def _look(path: Path, options: IntakeOptions, scratch_in: Path | None = None) -> _Looked:
    """The reading half of ``prepare``: pre-flight, fixes, placement, what lies under the
    stamp. Refuses with ``PdfRejected`` (or ``StampCoversContent``) before anything is
    copied in. A fixed copy goes in a new folder inside ``scratch_in`` (the system's
    temporary folder by default)."""
    scratch: list[Path] = []
    try:
        seen = examine(path, options.target, options.fixes, _scratch_maker(scratch, scratch_in))
        if seen.report.blocking:
            raise _rejection(path, seen.report)
        placement, geometry = _placement(seen.document, seen.report, options)
        placed = _clear_spot(seen, placement, geometry, options)
        return _Looked(seen, placed, scratch[0] if scratch else None)
    except BaseException:
        _remove_scratch(scratch[0] if scratch else None)
        raise


def _store(paths: Paths, looked: _Looked, *, sync_dir: bool) -> Prepared:
    """The writing half of ``prepare``: the content-addressed copy (then the fixed copy's
    temporary folder goes)."""
    seen, placed = looked.seen, looked.placed
    try:
        stored = DocumentStore(paths.data_dir).put(seen.document, sync_dir=sync_dir)
    finally:
        _remove_scratch(looked.scratch)
    original = stored.sha256 if not seen.applied else sha256_file(seen.path)
    return Prepared(
        seen.path,
        seen.report,
        seen.applied,
        placed.placement,
        stored.sha256,
        stored.size,
        original,
        placed.findings,
    )


def _commit(outbox: Outbox, prepared: Prepared, options: IntakeOptions) -> Accepted:
    path, applied, rect = prepared.path, prepared.applied, prepared.placement.rect
    # Checked inside the transaction that inserts: two adds of one file cannot both pass.
    duplicate = None if options.again else find_duplicate(outbox, path, prepared.original_sha256)
    if duplicate is not None:
        raise duplicate
    _add_document(outbox, prepared)
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
            original_sha256=prepared.original_sha256,
        ),
        detail=_queued_detail(path, applied, moved=_moved(prepared), again=options.again),
    )
    return _accepted(row, prepared)


def _add_document(outbox: Outbox, prepared: Prepared) -> None:
    outbox.add_document(
        prepared.sha256,
        size=prepared.size,
        page_count=prepared.report.page_count or 0,
        pdf_version=prepared.report.pdf_version or "",
        original_name=prepared.path.name,
        fixes=[str(f) for f in prepared.applied],
    )


def _accepted(row: RequestRow, prepared: Prepared) -> Accepted:
    report = prepared.report
    warnings = tuple(f for f in report.findings if f not in report.blocking)
    return Accepted(row, report, prepared.applied, warnings + prepared.placed)


def _queued_detail(path: Path, applied: Sequence[str], *, moved: bool, again: bool) -> Message:
    """The journal's first line: where the file came from and what was done to it."""
    parts = [Message(N_("queued from {path}"), {"path": str(path)})]
    if applied:
        parts.append(Message(N_("fixed: {fixes}"), {"fixes": ", ".join(applied)}))
    if moved:
        parts.append(Message(N_("stamp moved to a free spot")))
    if again:
        parts.append(Message(N_("added again on purpose")))
    return Message.joined(parts, ", ")


def _moved(prepared: Prepared) -> bool:
    return any(f.code == Code.STAMP_MOVED for f in prepared.placed)


def replace_file(
    outbox: Outbox,
    paths: Paths,
    request_id: int,
    path: Path,
    *,
    page: str | int | None = None,
    spot: Spot | None = None,
    target: str = "provider",
    fixes: Collection[Fix] = AUTOMATIC_FIXES,
) -> Accepted:
    """Give a request the provider refused after its serial number was bought a corrected
    document: pre-flighted and stored exactly as ``add`` does, then swapped in (keeping the
    serial number) in one transaction with its journal row.

    The placement stays the request's unless ``page`` or ``spot`` is given; it is checked
    against the new document's pages like any other.
    """
    current = outbox.check_replaceable(request_id)
    keep = page is None and spot is None
    options = IntakeOptions(
        doc_type=current.doc_type,
        page=current.page_index + 1 if page is None else page,
        rect=Rect(*current.rect) if keep else None,
        spot=spot,
        target=target,
        fixes=fixes,
    )
    prepared = prepare(paths, path, options)
    with outbox.atomic():
        others = [
            r for r in outbox.find_by_original(prepared.original_sha256) if r.id != request_id
        ]
        if others:
            raise duplicate_of(path, others[0])
        _add_document(outbox, prepared)
        placed = prepared.placement
        row = outbox.replace_document(
            request_id,
            Replacement(
                doc_sha256=prepared.sha256,
                original_sha256=prepared.original_sha256,
                file_name=path.name,
                source_path=str(path.resolve()),
                page_index=placed.page_index,
                rect=(placed.rect.x1, placed.rect.y1, placed.rect.x2, placed.rect.y2),
            ),
            detail=Message(
                N_("document replaced by {path}; keeps serial number {sn}"),
                {"path": str(path), "sn": current.sn or ""},
            ),
        )
    return _accepted(row, prepared)


def _scratch_maker(made: list[Path], inside: Path | None) -> Callable[[], Path]:
    """``examine``'s ``work``: a temporary folder for fixed copies, made on first use and
    noted in ``made``. A plain folder, not a ``TemporaryDirectory`` (which removes itself
    when collected): one made in a worker process outlives it until the copy is stored."""

    def scratch() -> Path:
        if not made:
            made.append(Path(tempfile.mkdtemp(prefix="meterai-fix-", dir=inside)))
        return made[0]

    return scratch


def _remove_scratch(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


def _placement(
    path: Path, report: PreflightReport, options: IntakeOptions
) -> tuple[Placement, PageGeometry]:
    """Where the stamp goes, and its page's geometry (the overlap check needs it too)."""
    count = report.page_count if report.page_count else page_count(path)
    index = resolve_page(options.page, count)
    geometry = page_geometry(path, index)
    if options.rect is None:
        return (options.spot or Spot()).placement(geometry), geometry
    placement = Placement(index, options.rect)
    validate(placement, geometry)
    return placement, geometry


def _clear_spot(
    seen: Examined, placement: Placement, geometry: PageGeometry, options: IntakeOptions
) -> Checked:
    """What lies under the stamp, on the pages the stamp lands on (the fixed copy): a
    warning, a move to a free spot (``auto_place``) or a refusal (``strict_placement``)."""
    return check_placement(
        seen.document,
        placement,
        auto=options.auto_place,
        strict=options.strict_placement,
        name=seen.path.name,
        geometry=geometry,
    )


def _rejection(path: Path, report: PreflightReport) -> PdfRejected:
    reasons = Message.sentences([f.message for f in report.blocking])
    if any(f.fix is not None for f in report.blocking):
        hint = Message(N_("(A fix exists: run without --no-fix, or allow it in the app.)"))
        reasons = Message.joined([reasons, hint], " ")
    return PdfRejected(file=path.name, reason=reasons, findings=report.blocking)
