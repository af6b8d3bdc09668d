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


STATE_LABELS: dict[State, str] = {
    S.DRAFT: N_("draft"),
    S.QUEUED: N_("queued"),
    S.UPLOADED: N_("uploaded"),
    S.NUMBERING: N_("numbering"),
    S.NUMBERED: N_("numbered"),
    S.STAMPED: N_("stamped"),
    S.DOWNLOADED: N_("downloaded"),
    S.VERIFIED: N_("verified"),
    S.DONE: N_("done"),
    S.NEEDS_ATTENTION: N_("needs attention"),
    S.CANCELLED: N_("cancelled"),
}


def state_label(state: State) -> str:
    """The state's name in the current language (JSON and the journal keep the English)."""
    return _(STATE_LABELS[state])
