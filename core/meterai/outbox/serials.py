"""Serial numbers and orphans: what the outbox knows of the stamps it paid for.

A serial number is bought once and never wasted: the one a request holds is recorded
with it in one transaction; one no live request owns (found by recovery, or released
by a cancel) is an orphan, given to the next request that needs one before anything
new is bought. A serial number a stamp used is never released or moved.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from meterai.errors import InputError
from meterai.i18n import N_
from meterai.messages import Message
from meterai.outbox.requests import CLEAN_SLATE, RECT_FIELDS, RequestVerbs
from meterai.outbox.rows import (
    CANCELLED_BY_THE_USER,
    AlreadyFinished,
    Detail,
    NotCancellable,
    NotReplaceable,
    Replacement,
    RequestRow,
    SerialUsed,
)
from meterai.outbox.states import CANCELLABLE, TERMINAL, State

# States in which nothing is done with a request's serial number: a person was asked, or it
# was sent again and waits to upload (from ``uploaded`` on, the engine may be reassigning or
# stamping it).
_RELEASABLE = frozenset({State.NEEDS_ATTENTION, State.QUEUED})


class SerialVerbs(RequestVerbs):
    """The verbs on serial numbers, and on requests that hold a paid one."""

    # --- knowing serial numbers ----------------------------------------------------

    def record_serial(
        self, sn: str, *, request_id: int | None, tag: str | None, source: str
    ) -> None:
        """Remember a serial number we know of; an existing owner is never overwritten."""
        with self._db.atomic():
            self._db.run(
                "INSERT INTO serials (sn, request_id, tag, source, found_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(sn) DO UPDATE SET request_id = coalesce(serials.request_id,"
                " excluded.request_id)",
                [sn, request_id, tag, source, self._clock()],
            )

    def serial_snapshot(
        self, states: Iterable[State]
    ) -> tuple[dict[str, int | None], list[RequestRow]]:
        """Known serial numbers and the live requests without one, read in ONE snapshot so a
        purchase committed in between cannot look like an orphan."""
        with self._db.atomic():
            owned: dict[str, int | None] = {
                str(r["sn"]): r["request_id"]
                for r in self._db.all("SELECT sn, request_id FROM serials")
            }
            for r in self._db.all("SELECT sn, id FROM requests WHERE sn IS NOT NULL"):
                owned[str(r["sn"])] = int(r["id"])
            return owned, self.requests(states=states)

    def serial_found_at(self, sn: str) -> float | None:
        """When the outbox first knew ``sn``: bought, found on the provider's list, or released."""
        row = self._db.one("SELECT found_at FROM serials WHERE sn = ?", [sn])
        return None if row is None else float(row["found_at"])

    def serial_origin(self, sn: str) -> str | None:
        """How the outbox came to hold ``sn``: bought, orphan, released, replaced, adopted."""
        row = self._db.one("SELECT source FROM serials WHERE sn = ?", [sn])
        return None if row is None else str(row["source"])

    def serial_holder(self, sn: str) -> int | None:
        """The request that holds ``sn``, if any."""
        row = self._db.one("SELECT id FROM requests WHERE sn = ?", [sn])
        return None if row is None else int(row["id"])

    def serial_needs_reassign(self, sn: str) -> bool:
        row = self._db.one("SELECT source, reassigned_at FROM serials WHERE sn = ?", [sn])
        return row is not None and row["source"] != "bought" and row["reassigned_at"] is None

    def mark_reassigned(self, sn: str) -> None:
        """Moved to its request's document; a number released meanwhile stays to be moved."""
        with self._db.atomic():
            self._db.run(
                "UPDATE serials SET reassigned_at = ? WHERE sn = ? AND request_id IS NOT NULL",
                [self._clock(), sn],
            )

    def forget_serial(self, sn: str) -> None:
        """Forget ``sn``'s record, in the caller's transaction with the move of the request
        that held it: a number the provider turned out not to know was never bought."""
        self._db.run("DELETE FROM serials WHERE sn = ?", [sn])

    def drop_serial(self, sn: str, request_id: int, detail: str) -> None:
        """A claimed serial number turned out unusable: forget it and free the request."""
        with self._db.atomic():
            self._db.run("DELETE FROM serials WHERE sn = ?", [sn])
            self.note(request_id, detail, sn=None)

    # --- orphans -------------------------------------------------------------------

    def record_orphan(self, sn: str, tag: str | None, *, source: str = "orphan") -> bool:
        """Record ``sn`` as owned by no request, unless a request holds it by now."""
        with self._db.atomic():
            held = self._db.one(
                "SELECT 1 AS held FROM requests WHERE sn = ?"
                " UNION SELECT 1 AS held FROM serials WHERE sn = ?",
                [sn, sn],
            )
            if held:
                return False
            self.record_serial(sn, request_id=None, tag=tag, source=source)
            return True

    def orphans(self) -> list[str]:
        rows = self._db.all("SELECT sn FROM serials WHERE request_id IS NULL ORDER BY found_at, sn")
        return [str(r["sn"]) for r in rows]

    def claim_orphan(self, request_id: int, *, noidentitas: str | None = None) -> str | None:
        """Give the oldest orphan serial number to ``request_id``, in one transaction.

        Reassigning changes only the document's number, type and name, not the party the
        duty was levied on: an orphan goes only to a request naming the same party (an
        orphan found by recovery names none as far as we know).

        Most purchases find no orphan at all: that is asked first, without the write lock
        (on a shared database it is taken alone, and every counter buys). An orphan
        recorded a moment after the look is not lost: the next request takes it."""
        if self._db.one("SELECT 1 AS found FROM serials WHERE request_id IS NULL LIMIT 1") is None:
            return None
        with self._db.atomic():
            row = self._db.one(
                "SELECT sn FROM serials WHERE request_id IS NULL"
                " AND coalesce(noidentitas, '') = coalesce(?, '')"
                " AND sn NOT IN (SELECT sn FROM requests WHERE sn IS NOT NULL)"
                " ORDER BY found_at, sn LIMIT 1" + self._db.for_update,
                [noidentitas],
            )
            if row is None:
                return None
            sn = str(row["sn"])
            self._db.run("UPDATE serials SET request_id = ? WHERE sn = ?", [request_id, sn])
            self.note(request_id, f"orphan serial number {sn} claimed", sn=sn)
            return sn

    # --- requests that hold a paid serial number -----------------------------------
    def cancel(self, request_id: int, *, detail: Detail = CANCELLED_BY_THE_USER) -> RequestRow:
        """Withdraw a request; a serial number it holds and no stamp used goes back as an
        orphan for the next document (zero stamps wasted)."""
        with self._db.atomic():
            current = self._get(request_id, lock=True)
            if current.state in TERMINAL:
                raise AlreadyFinished(request_id=request_id)
            if current.sn is not None:
                if current.state not in _RELEASABLE:
                    raise NotCancellable(request_id=request_id)
                return self.cancel_releasing_serial(request_id, detail=detail)
            allowed = current.state in CANCELLABLE or (
                current.state == State.NEEDS_ATTENTION
                and current.sn is None
                and not self.was_in(request_id, State.NUMBERING)
            )
            if not allowed:
                raise NotCancellable(request_id=request_id)
            return self.transition(request_id, State.CANCELLED, detail=detail)

    def cancel_releasing_serial(
        self, request_id: int, *, detail: Detail = CANCELLED_BY_THE_USER
    ) -> RequestRow:
        """Cancel a request that holds a serial number no stamp used (it waits for a person,
        or was sent again and is not being stamped), and record that number as an orphan
        in the same transaction. Before an orphan is moved to other bytes the engine asks
        the provider whether it is still unused, so a stamp the outbox never heard of is
        never moved."""
        with self._db.atomic():
            current = self._get(request_id, lock=True)
            sn = self._unused_serial(current, NotCancellable, _RELEASABLE)
            moved = self.transition(
                request_id,
                State.CANCELLED,
                detail=Message(
                    N_("{detail}; serial number {sn} kept for the next document"),
                    {"detail": detail, "sn": sn},
                ),
                expect=current.state,
                sn=None,
            )
            self._release_serial(sn, tag=current.numbering_tag, noidentitas=current.noidentitas)
            return moved

    def replace_document(
        self, request_id: int, new: Replacement, *, detail: Detail | None = None
    ) -> RequestRow:
        """Give a request refused after its serial number was bought a corrected document.

        The request goes back to ``queued`` with the same serial number, marked so the
        engine moves it to the new bytes with the reassign call before stamping; the
        document, placement and purchase facts change in one transaction with the journal
        row (the immutability trigger allows exactly this move)."""
        with self._db.atomic():
            current = self._get(request_id, lock=True)
            sn = self._unused_serial(current, NotReplaceable, {State.NEEDS_ATTENTION})
            now = self._clock()
            values: dict[str, Any] = {
                "state": str(State.QUEUED),
                "updated_at": now,
                "doc_sha256": new.doc_sha256,
                "original_sha256": new.original_sha256,
                "file_name": new.file_name,
                "source_path": new.source_path,
                "page_index": new.page_index,
                **dict(zip(RECT_FIELDS, new.rect, strict=True)),
                "provider_file_id": None,
                "stamp_tries": 0,
                "result_url": None,
                "stamped_path": None,
                **CLEAN_SLATE,
            }
            self._update(request_id, values)
            self._db.run(
                "INSERT INTO serials (sn, request_id, tag, source, found_at)"
                " VALUES (?, ?, ?, 'replaced', ?) ON CONFLICT(sn) DO UPDATE SET"
                " source = 'replaced', reassigned_at = NULL",
                [sn, request_id, current.numbering_tag, now],
            )
            text = detail or Message(
                N_("document replaced by {path}; keeps serial number {sn}"),
                {"path": new.file_name, "sn": sn},
            )
            self._journal(request_id, current.state, State.QUEUED, now, text)
            return self._get(request_id)

    def check_replaceable(self, request_id: int) -> RequestRow:
        """The request, if it may take a corrected document (asked before the new file is
        pre-flighted); otherwise the refusal that says why."""
        current = self._get(request_id)
        self._unused_serial(current, NotReplaceable, {State.NEEDS_ATTENTION})
        return current

    def _unused_serial(
        self, row: RequestRow, refusal: type[InputError], states: Collection[State]
    ) -> str:
        """The serial number the request holds, in one of ``states``, if no stamp used it."""
        if row.state in TERMINAL:
            raise AlreadyFinished(request_id=row.id)
        if row.state not in states or row.sn is None:
            raise refusal(request_id=row.id)
        if self.was_in(row.id, State.STAMPED):
            raise SerialUsed(request_id=row.id, sn=row.sn)
        return row.sn

    def _release_serial(self, sn: str, *, tag: str | None, noidentitas: str | None) -> None:
        self._db.run(
            "INSERT INTO serials (sn, request_id, tag, source, found_at, noidentitas)"
            " VALUES (?, NULL, ?, 'released', ?, ?) ON CONFLICT(sn) DO UPDATE SET"
            " request_id = NULL, source = 'released', reassigned_at = NULL,"
            " noidentitas = excluded.noidentitas",
            [sn, tag, self._clock(), noidentitas],
        )
