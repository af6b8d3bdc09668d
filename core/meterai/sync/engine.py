"""The engine's decisions: one protocol step for one request at a time.

Every step is: read the request, make at most one provider call outside any
transaction, then commit the outcome as one transition. A crash between any two of
those leaves a state from which the next step is safe:

- the intent to buy (``numbering``) is committed before the paid call, and from
  ``numbering`` the engine first asks the provider which serial numbers carry the
  request's tag, so a lost answer is adopted, never bought again;
- a serial number is stored in the same commit that leaves ``numbering``;
- every stamping call after the first for a serial number carries ``retryFlag``,
  and before a repeat the provider is asked whether the stamp already happened;
- orphans (bought by us, owned by no request) are given to the next request
  before anything new is bought.

Clock, randomness, the provider and the store are passed in, so a seeded simulation
drives exactly this code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from meterai import disk, doctypes
from meterai.errors import (
    ErrorKind,
    IllegalTransition,
    MeteraiError,
    ProviderError,
    VerificationError,
)
from meterai.fsutil import atomic_writer, copy_no_overwrite
from meterai.i18n import N_, _
from meterai.messages import Message, Param
from meterai.outbox.states import State
from meterai.outbox.store import CLEAN_SLATE, TAG_PATTERN, Outbox, RequestRow
from meterai.provider.errors import (
    MalformedResponse,
    ResultLocationUnknown,
    ResultTooLarge,
    StampingRejected,
)
from meterai.provider.ports import Progress, Provider, SerialInfo, SerialOrder, StampOrder
from meterai.sync.backoff import Backoff, Random
from meterai.sync.events import (
    BytesMoved,
    NeedsAttention,
    StateChanged,
    Subscriber,
    Waiting,
    ignore,
)

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Point = Callable[[str], None]
Verifier = Callable[[RequestRow, Path, Path], "Verdict"]
Evidence = Callable[[BaseException], str]
"""Keeps a programming error's traceback somewhere a person can read it; returns where."""


class InternalError(MeteraiError):
    """A bug in a step, recorded as that request's failure so the others keep moving."""

    code = "internal_error"
    template = N_("An internal error ({detail}); the evidence is in {path}.")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str
    reason: Message | None = None  # the same as data, read later in the reader's language


@dataclass(frozen=True)
class EngineConfig:
    max_failures: int = 8
    backoff: Backoff = field(default_factory=Backoff)
    # After an ambiguous paid call, how long the provider may still be committing it.
    reconcile_grace: float = 10.0
    # After a stamping call whose answer was lost, how long the provider may still be
    # signing: its status reads "not stamped" until it is done, so no repeat before then.
    # Below the runner's linger, so that ``sync --once`` waits it out instead of ending.
    stamp_settle: float = 10.0
    reason: str = "Meterai Desk"
    location: str = "Indonesia"
    # A stamped file is the document plus an incremental update (signature, certificates,
    # revocation data, the stamp's image): anything larger than this margin is not one.
    result_margin: int = 16 * 1024 * 1024


class BoundedSink:
    """A download target that refuses to grow past ``limit``: a hostile or broken answer is
    cut off while it streams, never buffered or written whole."""

    def __init__(self, file: IO[bytes], limit: int) -> None:
        self._file = file
        self.limit = limit

    def write(self, data: bytes, /) -> int:
        if self._file.tell() + len(data) > self.limit:
            raise ResultTooLarge(endpoint="getfile", limit=self.limit)
        return self._file.write(data)

    def tell(self) -> int:
        return self._file.tell()

    def seek(self, offset: int, whence: int = 0, /) -> int:
        return self._file.seek(offset, whence)

    def truncate(self, size: int | None = None, /) -> int:
        return self._file.truncate(size)


@dataclass
class Session:
    """What one run of the engine (one process) has learnt; shared by its workers.

    No serial number is bought before one reconciliation has succeeded in this run:
    the outbox may be an older copy (a restored backup) that forgot purchases which
    the provider's list still shows.
    """

    reconciled: bool = False
    bought: set[str] = field(default_factory=set)
    """Serial numbers this process bought: none can have been stamped but by its own call."""


class StepCrash(BaseException):
    """Raised by a simulation's protocol-point hook to model a crash at that point."""


@dataclass(frozen=True)
class Stepped:
    """One step's outcome for the runner: the request before and after the step, and
    whether this process still holds it (``Outbox.holds``)."""

    before: RequestRow
    after: RequestRow
    held: bool


def no_point(_name: str) -> None:
    """The protocol points do nothing outside the crash tests and the simulation."""


def _log_only(_exc: BaseException) -> str:
    return "the log file"


@dataclass
class Engine:
    outbox: Outbox
    provider: Provider
    docs_dir: Path
    stamped_dir: Path
    verifier: Verifier
    clock: Clock
    rng: Random
    config: EngineConfig = field(default_factory=EngineConfig)
    events: Subscriber = ignore
    point: Point = no_point
    default_out_dir: Path | None = None
    session: Session = field(default_factory=Session)
    evidence: Evidence = _log_only

    # --- entry points --------------------------------------------------------------

    def step(self, request_id: int) -> State:
        """Advance one request by one protocol step; returns its state afterwards."""
        return self.advance(request_id).after.state

    def advance(self, request_id: int, known: RequestRow | None = None) -> Stepped:
        """One protocol step, as ``step``; returns the request before and after it and
        whether this process still holds it, so that a caller deciding whether to go on
        reads nothing more (on a shared database every read is a round trip).

        ``known`` is the request as the caller read it a moment ago (the last step's
        ``after``, read after that step's commit): the step starts from it instead of
        reading it again. Every move still checks, under the row's lock, that the
        request is in the state the step started from."""
        row = self.outbox.get(request_id) if known is None else known
        handler = self._handlers().get(row.state)
        if handler is None:
            return Stepped(row, *self.outbox.current(request_id))
        try:
            handler(row)
        except ProviderError as exc:
            self._failed(self.outbox.get(request_id), exc)
        except StepCrash:
            raise
        except (MeteraiError, OSError) as exc:
            if disk.refused(exc):
                raise  # the disk's fault, not this request's: the runner decides
            self._failed(self.outbox.get(request_id), exc)
        except Exception as exc:  # a bug: this request's failure, never the run's
            self._failed(self.outbox.get(request_id), self._internal_error(request_id, exc))
        return Stepped(row, *self.outbox.current(request_id))

    def reconcile(self) -> ReconcileReport:
        """Match the provider's serial numbers to requests by tag; record orphans.

        Runs at start-up and whenever a request is found in ``numbering``: it is how a
        lost answer, a crash after the paid call, or a restored older database is
        repaired without buying again.
        """
        entries = self.provider.serials()
        known, live = self.outbox.serial_snapshot(_MAY_HAVE_BOUGHT)
        waiting = {r.numbering_tag: r for r in live if r.sn is None and r.numbering_tag}
        prefix = f"mdk-{self.outbox.install_id()}-"
        report = ReconcileReport()
        settled = True
        # A stamped serial number is the one to adopt; any other for the same tag is spare.
        for entry in sorted(entries, key=lambda e: not e.stamped):
            tag = _tag_of(entry)
            if entry.sn in known or tag is None or not tag.startswith(prefix):
                continue
            owner = waiting.pop(tag, None)
            if owner is not None:
                adopted, unsettled = self._adopt_current(owner, entry)
                if adopted:
                    report.adopted.append(entry.sn)
                # One it could not settle: the next purchase must ask again, not buy.
                settled = settled and not unsettled
            elif entry.stamped:
                report.stamped_unknown.append(entry.sn)
            elif self.outbox.record_orphan(entry.sn, tag):
                report.orphans.append(entry.sn)
        self.session.reconciled = settled
        log.info(
            "reconciliation: %d serial numbers listed, adopted %s, new orphans %s%s",
            len(entries),
            report.adopted or "none",
            report.orphans or "none",
            "" if settled else "; a request moved meanwhile: asked again before buying",
        )
        return report

    def _adopt_current(self, owner: RequestRow, entry: SerialInfo) -> tuple[bool, bool]:
        """Adopt ``entry`` for ``owner`` as the outbox has it now; (adopted, left unsettled).

        The snapshot may be older than the request: another worker can move it meanwhile
        (the start-up reconciliation runs beside the uploads, so a restored queued request
        is uploaded under it). Its serial number is adopted from where it is now, in this
        pass, rather than left for another round trip to the provider's list.
        """
        for _try in range(_ADOPT_TRIES):
            try:
                self._adopt(owner, entry)
                return True, False
            except IllegalTransition:
                tag = owner.numbering_tag
                owner = self.outbox.get(owner.id)
                if owner.sn is not None or owner.state not in _MAY_HAVE_BOUGHT:
                    return False, False  # settled meanwhile: it holds a serial number
                if owner.numbering_tag != tag:
                    break  # another purchase tag now: the next pass sorts it out
        return False, True

    # --- the steps -----------------------------------------------------------------

    def _handlers(self) -> dict[State, Callable[[RequestRow], None]]:
        return {
            State.QUEUED: self._upload,
            State.UPLOADED: self._number,
            State.NUMBERING: self._settle_numbering,
            State.NUMBERED: self._stamp,
            State.STAMPED: self._download,
            State.DOWNLOADED: self._verify,
            State.VERIFIED: self._export,
        }

    def _upload(self, row: RequestRow) -> None:
        if self._held_for_type(row):
            return
        document = self.docs_dir / f"{row.doc_sha256}.pdf"
        if not document.is_file():
            self._attention(
                row, N_("The local copy of the document is missing: {path}"), path=str(document)
            )
            return
        self.point("upload:before_call")
        file_id = self.provider.upload(document, self._progress(row.id, "upload"))
        self.point("upload:after_call")
        self._move(row, State.UPLOADED, Message(N_("uploaded")), provider_file_id=file_id)

    def _number(self, row: RequestRow) -> None:
        if self._held_for_type(row):
            return
        if row.sn is not None:
            self._use_held_serial(row)
            return
        if not self.session.reconciled or self.outbox.was_in(row.id, State.NUMBERING):
            # An earlier purchase may have happened: ask before buying again.
            self.reconcile()
            row = self.outbox.get(row.id)
            if row.state != State.UPLOADED or row.sn is not None:
                return
        # Reassigning changes only the document's number, type and name: an orphan goes
        # only to a request naming the same party (or none, like the orphan).
        claimed = self.outbox.claim_orphan(row.id, noidentitas=row.noidentitas)
        if claimed is not None:
            self._use_held_serial(self.outbox.get(row.id))
            return
        self._buy(row)

    def _held_for_type(self, row: RequestRow) -> bool:
        """A code is sent only with the meaning the user chose: if the provider's list now
        gives the request's code another name (or none), ask before any paid call. A
        request that already holds a serial number was bought with its type: nothing is
        left to ask."""
        if row.sn is not None:
            return False
        drift = doctypes.type_question(self.outbox, row.doc_type, row.doc_type_name)
        if drift is None:
            return False
        if drift.now is None:
            self._attention(
                row,
                N_(
                    "Held before buying: this request was queued as type {code} "
                    '"{queued}", and the provider\'s list no longer has code {code}. Choose '
                    "a type (meterai types lists them): meterai retry {id} --type CODE."
                ),
                code=drift.kode,
                queued=drift.queued_as,
                id=row.id,
            )
            return True
        self._attention(
            row,
            N_(
                'Held before buying: this request was queued as type {code} "{queued}", '
                'but the provider now calls code {code} "{now}". Confirm or change the '
                "type: meterai retry {id} --type {code} (or another code)."
            ),
            code=drift.kode,
            queued=drift.queued_as,
            now=drift.now,
            id=row.id,
        )
        return True

    def _use_held_serial(self, row: RequestRow) -> None:
        assert row.sn is not None
        if self.outbox.serial_needs_reassign(row.sn):
            if not self._still_unused(row):
                return
            self.point("reassign:before_call")
            self.provider.reassign_serial(
                row.sn,
                nodoc=self._nodoc(row),
                doc_type=row.doc_type,
                namafile=self._namafile(row),
            )
            self.point("reassign:after_call")
            self.outbox.mark_reassigned(row.sn)
        self._move(
            row, State.NUMBERED, Message(N_("uses serial number {sn}"), {"sn": row.sn or ""})
        )

    def _still_unused(self, row: RequestRow) -> bool:
        """A serial number about to move to other bytes (an orphan, or one kept for a
        corrected document) was last seen unused by the outbox, not by the provider: ask.
        An orphan the provider says is used or unknown is forgotten and the request goes
        on to the next orphan or a purchase; a request's own serial number stops it."""
        assert row.sn is not None
        status = self.provider.serial_status(row.sn)
        if status is not None and not status.stamped:
            return True
        problem = "used" if status is not None else "unknown to the provider"
        if self.outbox.serial_origin(row.sn) == "replaced":
            self._attention(
                row,
                N_(
                    "The serial number {sn} cannot be moved to the corrected document: the "
                    "stamping service says it is {problem}. Nothing new was bought."
                ),
                sn=row.sn,
                problem=Message(N_("already used") if status else N_("unknown to it")),
            )
            return False
        self.outbox.drop_serial(row.sn, row.id, f"orphan serial number {row.sn} is {problem}")
        return False

    def _buy(self, row: RequestRow) -> None:
        assert row.numbering_tag is not None
        row = self._move(
            row,
            State.NUMBERING,
            Message(N_("buying a serial number, tag {tag}"), {"tag": row.numbering_tag}),
            quiet=True,
        )
        self.point("numbering:after_commit")
        order = SerialOrder(
            file_id=row.provider_file_id or "",
            doc_type=row.doc_type,
            namafile=self._namafile(row),
            nodoc=self._nodoc(row),
            tgldoc=row.tgldoc or "",
            nilaidoc=row.nilaidoc or 10000,
            namejidentitas=row.namejidentitas or "",
            noidentitas=row.noidentitas or "",
            namedipungut=row.namedipungut or "",
        )
        self.point("buy:before_call")
        sn = self.provider.buy_serial(order)
        self.point("buy:after_call")
        self._refuse_a_serial_held_elsewhere(row, sn)
        self._record_bought(row, sn)

    def _refuse_a_serial_held_elsewhere(self, row: RequestRow, sn: str) -> None:
        """A serial number just sold cannot be one another request holds: an answer that
        says so is a lie or a mix-up, and the purchase's outcome is unknown, as after any
        unreadable answer to the paid call (the provider's list settles it).

        Escaped bug: such an answer hit the UNIQUE column and was reported as an internal
        error, with a crash report, instead of as the provider's fault.
        """
        holder = self.outbox.serial_holder(sn)
        if holder is not None and holder != row.id:
            raise MalformedResponse(
                endpoint="request_serial",  # provider.mapping.PAID_CALL, without httpx
                maybe_committed=True,
                detail=f"serial number {sn} is already held by request {holder}",
            )

    def _record_bought(self, row: RequestRow, sn: str) -> None:
        # One request's transaction: the serial number was sold to this call a moment ago,
        # so no other request can hold it (and the UNIQUE column would refuse it).
        with self.outbox.atomic(one_request=True):
            self.outbox.record_serial(sn, request_id=row.id, tag=row.numbering_tag, source="bought")
            self._move(row, State.NUMBERED, Message(N_("serial number {sn}"), {"sn": sn}), sn=sn)
        self.session.bought.add(sn)
        self.point("numbered:after_commit")

    def _settle_numbering(self, row: RequestRow) -> None:
        """The outcome of the paid call is unknown: the provider's list decides."""
        self.reconcile()
        row = self.outbox.get(row.id)
        if row.state != State.NUMBERING:
            return
        last_try = self.outbox.entered_at(row.id, State.NUMBERING) or row.updated_at
        if self.clock() - last_try < self.config.reconcile_grace:
            self._wait(
                row,
                N_("Checking with the provider whether the serial number was bought"),
                last_try + self.config.reconcile_grace,
            )
            return
        self._move(
            row,
            State.UPLOADED,
            Message(
                N_(
                    "the provider has no serial number for this request's "
                    "tag: nothing was bought, it is safe to buy"
                )
            ),
            quiet=True,
        )

    def _untried_purchase(self, row: RequestRow) -> bool:
        return row.sn in self.session.bought and row.stamp_tries == 0

    def _stamp(self, row: RequestRow) -> None:
        assert row.sn is not None
        if row.provider_file_id is None:
            self._move(
                row,
                State.QUEUED,
                Message(N_("no uploaded file for this serial number: upload again")),
            )
            return
        # Asked every time, not only after a failed try: a restored older outbox cannot
        # know that a stamp already happened, the provider can. Except for a serial
        # number this process bought and has not yet tried to stamp with: nothing but
        # its own call can stamp it, and the question costs a round trip per document.
        status = None if self._untried_purchase(row) else self.provider.serial_status(row.sn)
        if status is not None and status.stamped:
            # The result is where the stamping that happened put it: after a re-upload the
            # current file id is not the one the stamp was made from.
            url = status.file or row.result_url or self._derived_location(row.provider_file_id)
            self._move(
                row, State.STAMPED, Message(N_("the provider already stamped it")), result_url=url
            )
            return
        if self._stamp_may_be_running(row):
            return
        row = self.outbox.note(row.id, Message(_STAMPING_CALL), stamp_tries=row.stamp_tries + 1)
        self.point("stamp:before_call")
        try:
            url = self.provider.stamp(
                StampOrder(
                    file_id=row.provider_file_id or "",
                    sn=row.sn or "",
                    page=row.page_index + 1,
                    rect=row.rect,
                    retry=row.stamp_tries > 1,
                    reason=self.config.reason,
                    location=self.config.location,
                )
            )
        except StampingRejected as exc:
            if self._bought_serial_unknown(row):
                self._ask_the_list_again(row)
            else:
                self._refused_after_payment(row, exc)
            return
        self.point("stamp:after_call")
        self._move(row, State.STAMPED, Message(N_("stamped")), result_url=url)

    def _stamp_may_be_running(self, row: RequestRow) -> bool:
        """Wait instead of stamping again while an earlier stamping call may still run.

        The provider answers "not stamped" until its signature is made, so a repeat sent
        meanwhile signs the serial number a second time. A call whose answer was lost
        (the process stopped during it: nothing after it in the journal) gets
        ``stamp_settle`` seconds from when it was sent; the status is asked again after.
        A call that failed in this process is held as long by its backoff instead.
        """
        if row.stamp_tries == 0:
            return False
        last = self.outbox.journal(row.id)[-1]
        sent = last.message
        if sent is None or sent.id != _STAMPING_CALL or last.from_state != last.to_state:
            return False
        until = last.at + self.config.stamp_settle
        if self.clock() >= until:
            return False
        self._wait(row, _STAMP_SETTLING, until)
        return True

    def _bought_serial_unknown(self, row: RequestRow) -> bool:
        """Whether the serial number a purchase answer named is one the provider does not
        know: asked only once stamping with it was refused.

        Escaped bug: a purchase answered with a well-formed, made-up serial number was
        recorded, the stamping call was refused, and the request waited for a person with
        a message that blamed the document and kept the made-up number, while the serial
        number really sold for its tag sat unused on the provider's list: paid, not done.
        """
        assert row.sn is not None
        if row.numbering_tag is None or self.outbox.serial_origin(row.sn) != "bought":
            return False  # orphans and kept numbers were checked with the provider already
        return self.provider.serial_status(row.sn) is None

    def _ask_the_list_again(self, row: RequestRow) -> None:
        """Forget a serial number the provider does not know, and let its list say what
        the purchase bought (``numbering``: reconciliation by tag, as after a lost answer).
        One transaction: the number is never held by the outbox without the request."""
        assert row.sn is not None
        detail = Message(
            N_(
                "The stamping service does not know the serial number {sn} named by the "
                "purchase's answer: its list of serial numbers decides what was bought for "
                "tag {tag}"
            ),
            {"sn": row.sn, "tag": row.numbering_tag or ""},
        )
        with self.outbox.atomic(one_request=True):
            self.outbox.forget_serial(row.sn)
            self._move(row, State.NUMBERING, detail, sn=None)
        self.session.reconciled = False

    def _refused_after_payment(self, row: RequestRow, exc: StampingRejected) -> None:
        """The document was refused after its serial number was bought: the request keeps
        the number, and the message says the two ways to use it."""
        self._attention(
            row,
            N_(
                "{problem} The serial number {sn} is kept for this request: give it a "
                "corrected document (Replace document…, or meterai replace {id} FILE), or "
                "cancel it and your next document will use the serial number."
            ),
            problem=exc.message(),
            sn=row.sn or "",
            id=row.id,
        )

    def _download(self, row: RequestRow) -> None:
        """Fetch the result from the first location that has it.

        The stored URL comes first; when it fails (not found, or not a usable location)
        the location derived from the provider's file id is tried, then the file the
        provider's serial-number record names. Only when the locations of a known file
        id answer "not found" does the provider no longer have the result, and the user
        is told so after a few tries, never before. All of these calls only read.
        """
        dest = self.stamped_dir / f"{row.id}.pdf"
        self.point("download:before_call")
        misses: list[_Miss] = []
        for url, derived in self._result_locations(row):
            if any(miss.url == url for miss in misses):
                continue
            try:
                self._download_to(dest, url, row.id)
            except ProviderError as exc:
                if not _location_failed(exc):
                    raise
                misses.append(_Miss(url, derived, exc))
                continue
            self.point("download:after_write")
            detail = Message(N_("downloaded from {url}"), {"url": url})
            self._move(row, State.DOWNLOADED, detail, stamped_path=str(dest), result_url=url)
            return
        self._result_missing(row, misses)

    def _result_locations(self, row: RequestRow) -> Iterator[tuple[str, bool]]:
        """Where the result may be, and whether that place comes from a file id; most
        specific first, and the provider is asked only when the others did not work."""
        if row.result_url:
            yield row.result_url, False
        if row.provider_file_id:
            yield self.provider.result_url(row.provider_file_id), True
        status = self.provider.serial_status(row.sn) if row.sn else None
        if status is not None and status.stamped and status.file:
            yield status.file, True

    def _result_missing(self, row: RequestRow, misses: list[_Miss]) -> None:
        """No location gave the result: tell the user what is certain, else try again."""
        not_found = all(m.failure.http_status in (404, 410) for m in misses)
        certain = not_found and row.attempts + 1 >= _GONE_AFTER
        if certain and any(m.derived for m in misses):
            self._attention(
                row,
                N_(
                    "The provider no longer has the stamped file (results are deleted after "
                    "about 72 hours). The stamp {sn} was used; contact the provider with this "
                    "serial number. Nothing new will be bought."
                ),
                sn=row.sn or "",
            )
        elif certain:
            self._attention(
                row,
                N_(
                    "The stamp {sn} was used, but the provider does not say where the stamped "
                    "file is (no location it gave has it). Contact the provider with this "
                    "serial number. Nothing new will be bought."
                ),
                sn=row.sn or "",
            )
        elif misses:
            raise misses[0].failure
        else:
            raise ResultLocationUnknown(sn=row.sn or "")

    def _download_to(self, dest: Path, url: str, request_id: int) -> None:
        limit = self.result_limit(self.outbox.get(request_id))
        with atomic_writer(dest) as staged:
            bounded = BoundedSink(staged.file, limit)
            self.provider.download(url, bounded, self._download_progress(request_id))

    def result_limit(self, row: RequestRow) -> int:
        """The largest stamped file to accept: the document sent plus the configured margin."""
        try:
            sent = (self.docs_dir / f"{row.doc_sha256}.pdf").stat().st_size
        except OSError:
            sent = 0
        return sent + self.config.result_margin

    def _verify(self, row: RequestRow) -> None:
        stamped = Path(row.stamped_path or "")
        original = self.docs_dir / f"{row.doc_sha256}.pdf"
        if not stamped.is_file():
            self._move(
                row, State.STAMPED, Message(N_("the downloaded file is gone: download again"))
            )
            return
        try:
            verdict = self.verifier(row, stamped, original)
        except VerificationError as exc:
            self._download_again(row, str(exc))
            return
        if verdict.ok:
            said = verdict.reason or Message("{detail}", {"detail": verdict.message})
            self._move(row, State.VERIFIED, said)
        else:
            self._attention(
                row,
                N_(
                    "The stamped file failed verification: {reason} It is kept "
                    "at {path} for inspection."
                ),
                reason=verdict.reason or verdict.message,
                path=str(stamped),
            )

    def _download_again(self, row: RequestRow, problem: str) -> None:
        """The file on disk is not a readable PDF (a truncated body that framed correctly):
        fetch it again, counting the failure so a provider that keeps sending a broken
        file ends in needs_attention instead of a loop."""
        attempts = row.attempts + 1
        if attempts >= self.config.max_failures:
            self._attention(
                row,
                N_("The provider keeps sending an unreadable stamped file: {problem}"),
                problem=problem,
            )
            return
        until = self.clock() + self.config.backoff.delay(attempts, self.rng)
        moved = self.outbox.transition(
            row.id,
            State.STAMPED,
            detail=Message(
                N_("unreadable download ({problem}): download again"), {"problem": problem}
            ),
            expect=row.state,
            attempts=attempts,
            last_error=problem,
            next_attempt_at=until,
        )
        self.events(StateChanged(moved, str(row.state)))

    def _export(self, row: RequestRow) -> None:
        out_dir = self._out_dir(row)
        stem = Path(row.file_name).stem
        target = copy_no_overwrite(Path(row.stamped_path or ""), out_dir, f"{stem}-emeterai.pdf")
        self._move(
            row,
            State.DONE,
            Message(N_("saved as {path}"), {"path": str(target)}),
            output_path=str(target),
        )

    # --- outcomes ------------------------------------------------------------------

    def _move(
        self, row: RequestRow, to: State, detail: Message, *, quiet: bool = False, **updates: Any
    ) -> RequestRow:
        self.point(f"commit:{to}:before")
        moved = self.outbox.transition(
            row.id,
            to,
            detail=detail,
            expect=row.state,
            **{**CLEAN_SLATE, **updates},
        )
        self.point(f"commit:{to}:after")
        log.info("request %s: %s -> %s: %s", row.id, row.state, to, detail.english())
        self.events(StateChanged(moved, str(row.state)))
        return moved

    def _attention(self, row: RequestRow, template: str, **params: Param) -> None:
        self._attention_for(row, Message(template, params))

    def _attention_for(
        self, row: RequestRow, message: Message, *, provider_message: str | None = None
    ) -> None:
        english = message.english()
        moved = self.outbox.transition(
            row.id,
            State.NEEDS_ATTENTION,
            detail=message,
            expect=row.state,
            last_error=english,
            last_error_msg=message.to_json(),
            next_attempt_at=None,
            queue_position=None,
            provider_message=provider_message,
        )
        log.info("request %s: %s -> needs attention: %s", row.id, row.state, english)
        self.events(StateChanged(moved, str(row.state)))
        self.events(NeedsAttention(moved, message.text()))

    def _internal_error(self, request_id: int, exc: Exception) -> InternalError:
        """Log the traceback (the log keeps one per signature) and keep it as evidence."""
        log.error("internal error in a step of request %s", request_id, exc_info=exc)
        detail = f"{type(exc).__name__}: {exc}"[:200]
        return InternalError(detail=detail, path=self.evidence(exc))

    def _failed(self, row: RequestRow, exc: BaseException) -> None:
        heard = exc if isinstance(exc, ProviderError) else None
        kind = heard.kind if heard else ErrorKind.TRANSIENT
        said = heard.provider_message if heard else None
        message = (
            exc.message()
            if isinstance(exc, MeteraiError)
            else Message("{detail}", {"detail": str(exc)})
        )
        if kind in (ErrorKind.USER_ACTION, ErrorKind.AUTH):
            self._attention_for(row, message, provider_message=said)
            return
        attempts = row.attempts + 1
        if attempts >= self.config.max_failures:
            self._attention_for(row, self._gave_up(attempts, exc, message), provider_message=said)
            return
        self._back_off(row, exc, message, attempts)

    def _back_off(
        self, row: RequestRow, exc: BaseException, message: Message, attempts: int
    ) -> None:
        """Try again later, when the provider said (``Retry-After``) or the backoff says,
        keeping the provider's queue position and words with the request."""
        heard = exc if isinstance(exc, ProviderError) else None
        retry_after = heard.retry_after if heard else None
        until = self.clock() + self.config.backoff.delay(attempts, self.rng, retry_after)
        if row.state == State.NUMBERED and heard is not None and heard.maybe_committed:
            # The stamping call's answer was lost: the provider may still be signing.
            until = max(until, self.clock() + self.config.stamp_settle)
        code = exc.code if isinstance(exc, MeteraiError) else type(exc).__name__
        log.info(
            "request %s: attempt %d failed (%s): %s", row.id, attempts, code, message.english()
        )
        queue = heard.queue_position if heard else None
        said = heard.provider_message if heard else None
        self.outbox.record_failure(
            row.id,
            message,
            next_attempt_at=until,
            code=code,
            queue_position=queue,
            provider_message=said,
        )
        self.events(Waiting(row.id, message.text(), until, queue, said))

    @staticmethod
    def _gave_up(attempts: int, exc: BaseException, message: Message) -> Message:
        """Why a request stopped being tried: an internal error, or the last failure."""
        if isinstance(exc, InternalError):
            return Message(
                N_(
                    "Stopped after {count} attempts by an internal error; the evidence is "
                    "in {path}. The serial number, if any, is kept: retry once the app is "
                    "updated."
                ),
                {"count": attempts, "path": str(exc.params.get("path", ""))},
            )
        return Message(
            N_(
                "Tried {count} times without success; the last error was: "
                "{error}. The serial number, if any, is kept. Retry when "
                "the service is back."
            ),
            {"count": attempts, "error": message},
        )

    def _wait(self, row: RequestRow, reason: str, until: float) -> None:
        self.outbox.note(row.id, f"waiting: {reason}", next_attempt_at=until, waiting_reason=reason)
        self.events(Waiting(row.id, _(reason), until))

    # --- helpers -------------------------------------------------------------------

    def _adopt(self, owner: RequestRow, entry: SerialInfo) -> None:
        """Attach a serial number found at the provider, in one transaction with the move."""
        with self.outbox.atomic():
            self.outbox.record_serial(
                entry.sn, request_id=owner.id, tag=owner.numbering_tag, source="bought"
            )
            self._adopt_move(owner, entry)

    def _adopt_move(self, owner: RequestRow, entry: SerialInfo) -> None:
        detail = Message(
            N_("recovered serial number {sn} from the provider's list"), {"sn": entry.sn}
        )
        if entry.stamped:
            url = entry.file or self._derived_location(owner.provider_file_id)
            to = State.STAMPED
            self._move(owner, to, detail, sn=entry.sn, result_url=url)
        elif owner.state == State.NEEDS_ATTENTION:
            self.outbox.note(owner.id, detail, sn=entry.sn)
        else:
            self._move(owner, State.NUMBERED, detail, sn=entry.sn)

    def _derived_location(self, file_id: str | None) -> str | None:
        """The result location derived from a known file id; without one there is none."""
        return self.provider.result_url(file_id) if file_id else None

    def _out_dir(self, row: RequestRow) -> Path:
        if row.out_dir:
            return Path(row.out_dir)
        if row.source_path:
            return Path(row.source_path).parent
        return self.default_out_dir or self.stamped_dir

    @staticmethod
    def _namafile(row: RequestRow) -> str:
        return f"{row.numbering_tag}_{Path(row.file_name).name}"[:120]

    @staticmethod
    def _nodoc(row: RequestRow) -> str:
        return row.nodoc or str(row.numbering_tag)

    def _download_progress(self, request_id: int) -> Progress:
        """Progress that also fires the ``download:mid`` point once bytes are on disk."""
        report = self._progress(request_id, "download")
        fired = False

        def on_progress(done: int, total: int | None) -> None:
            nonlocal fired
            if not fired and done > 0:
                fired = True
                self.point("download:mid")
            report(done, total)

        return on_progress

    def _progress(self, request_id: int, phase: str) -> Progress:
        def report(done: int, total: int | None) -> None:
            self.events(BytesMoved(request_id, phase, done, total))

        return report


_STAMPING_CALL = N_("stamping call")
_STAMP_SETTLING = N_(
    "The provider may still be signing the last stamping call: asking it again before "
    "stamping again"
)

# A result that is not found is asked for this many times before the user is told it is
# gone: a file that was just written may not be visible yet on every server of a share.
_GONE_AFTER = 3


@dataclass(frozen=True)
class _Miss:
    """A result location that did not give the result."""

    url: str
    derived: bool
    failure: ProviderError


def _location_failed(exc: ProviderError) -> bool:
    """The location itself is wrong (not found, refused, not a PDF): another may work.

    Transient failures (no connection, a stall, 5xx) say nothing about the location.
    """
    status = exc.http_status
    if status is not None and 400 <= status < 500 and status != 401:
        return True
    return isinstance(exc, MalformedResponse) and exc.endpoint == "download"


# Live states in which a request may have bought a serial number the outbox does not know.
_MAY_HAVE_BOUGHT = (State.QUEUED, State.UPLOADED, State.NUMBERING, State.NEEDS_ATTENTION)
_ADOPT_TRIES = 3
"""A request that keeps moving under reconciliation is left to the next pass after this."""


@dataclass
class ReconcileReport:
    adopted: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    stamped_unknown: list[str] = field(default_factory=list)


def _tag_of(entry: SerialInfo) -> str | None:
    for text in (entry.namafile, entry.nodoc):
        match = TAG_PATTERN.search(text or "")
        if match:
            return match.group(0)
    return None
