"""The life of a stamp request as data: the states and the one table of allowed moves.

``numbering`` is the durable intent to buy a serial number: it is committed before
the paid call so that a lost response is recovered by looking the tag up at the
provider rather than by buying again. Cancel is only allowed while no serial number
can exist yet.
"""

from __future__ import annotations

from enum import StrEnum

from meterai.i18n import N_, _


class State(StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    UPLOADED = "uploaded"
    NUMBERING = "numbering"
    NUMBERED = "numbered"
    STAMPED = "stamped"
    DOWNLOADED = "downloaded"
    VERIFIED = "verified"
    DONE = "done"
    NEEDS_ATTENTION = "needs_attention"
    CANCELLED = "cancelled"


S = State
_ATTENTION = S.NEEDS_ATTENTION

TRANSITIONS: frozenset[tuple[State, State]] = frozenset(
    {
        (S.DRAFT, S.QUEUED),
        (S.DRAFT, S.CANCELLED),
        (S.QUEUED, S.UPLOADED),
        (S.QUEUED, S.CANCELLED),
        (S.QUEUED, _ATTENTION),
        (S.UPLOADED, S.NUMBERING),
        # A request that already holds a serial number (retried, or given an orphan) skips buying.
        (S.UPLOADED, S.NUMBERED),
        (S.UPLOADED, S.QUEUED),
        (S.UPLOADED, S.CANCELLED),
        (S.UPLOADED, _ATTENTION),
        (S.NUMBERING, S.NUMBERED),
        # Reconciliation proved no serial number was bought: the request may try again.
        (S.NUMBERING, S.UPLOADED),
        (S.NUMBERING, _ATTENTION),
        (S.NUMBERED, S.STAMPED),
        # The provider does not know the serial number the purchase's answer named: its
        # list decides what was bought, as after a lost answer.
        (S.NUMBERED, S.NUMBERING),
        # The provider forgot the uploaded file: upload again, keep the serial number.
        (S.NUMBERED, S.QUEUED),
        (S.NUMBERED, _ATTENTION),
        (S.STAMPED, S.DOWNLOADED),
        (S.STAMPED, _ATTENTION),
        (S.DOWNLOADED, S.VERIFIED),
        # The downloaded file is gone or unreadable: fetch it again.
        (S.DOWNLOADED, S.STAMPED),
        (S.DOWNLOADED, _ATTENTION),
        (S.VERIFIED, S.DONE),
        (S.VERIFIED, _ATTENTION),
        # Recovery adopts a serial number the outbox had forgotten (a restored backup): the
        # request jumps to where the provider says it is, instead of buying again.
        (S.QUEUED, S.NUMBERED),
        (S.QUEUED, S.STAMPED),
        (S.UPLOADED, S.STAMPED),
        (S.NUMBERING, S.STAMPED),
        (_ATTENTION, S.NUMBERED),
        (_ATTENTION, S.QUEUED),
        (_ATTENTION, S.STAMPED),
        (_ATTENTION, S.DOWNLOADED),
        (_ATTENTION, S.CANCELLED),
    }
)

CANCELLABLE: frozenset[State] = frozenset({S.DRAFT, S.QUEUED, S.UPLOADED})
TERMINAL: frozenset[State] = frozenset({S.DONE, S.CANCELLED})
# States the sync engine drives; a request in any other state waits for a person.
ACTIVE: frozenset[State] = frozenset(
    {S.QUEUED, S.UPLOADED, S.NUMBERING, S.NUMBERED, S.STAMPED, S.DOWNLOADED, S.VERIFIED}
)


def can_move(src: State, dst: State) -> bool:
    return (src, dst) in TRANSITIONS


# The one table of what a person reads for a state: the outbox table, the journal, the
# CLI's status and the questions about a duplicate all use it, so a request is never
# "numbering" in the terminal and "Getting a serial number" in the window.
STATE_LABELS: dict[State, str] = {
    S.DRAFT: N_("Draft"),
    S.QUEUED: N_("Queued"),
    S.UPLOADED: N_("Uploaded"),
    S.NUMBERING: N_("Getting a serial number"),
    S.NUMBERED: N_("Serial number received"),
    S.STAMPED: N_("Stamped"),
    S.DOWNLOADED: N_("Downloaded"),
    S.VERIFIED: N_("Verified"),
    S.DONE: N_("Done"),
    S.NEEDS_ATTENTION: N_("Needs attention"),
    S.CANCELLED: N_("Cancelled"),
}


def state_label(state: State | str) -> str:
    """The state's name in the current language (JSON and the journal keep the value)."""
    return _(STATE_LABELS[State(state)])
