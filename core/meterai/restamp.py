"""The provider's re-stamp window: until when a failed stamp may still be retried.

A stamp that failed is retried with the same serial number and ``retryFlag``, so the
stamp already paid for is not lost. The provider is reported to accept such a retry
for 48 hours after the serial number was bought (docs/provider-facts.md). A request
that waits on such a retry, whether for its back-off or for a person, says until when,
and says so plainly once the window has passed, so the user acts (or asks the
helpdesk with the evidence bundle) before the paid stamp is lost.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from meterai.i18n import N_
from meterai.messages import Message
from meterai.outbox.states import State

if TYPE_CHECKING:
    from meterai.outbox.rows import RequestRow
    from meterai.outbox.store import Outbox

WAITING_TO_RESTAMP = frozenset({State.NUMBERED, State.NEEDS_ATTENTION})
"""States in which a request holds a paid serial number it has not yet been stamped with."""


def waits_to_restamp(row: RequestRow) -> bool:
    """A serial number, a stamp already tried with it, and no stamped file yet."""
    return (
        row.sn is not None
        and row.stamp_tries > 0
        and row.stamped_path is None
        and row.state in WAITING_TO_RESTAMP
    )


def restamp_deadline(outbox: Outbox, row: RequestRow) -> float | None:
    """The time a retried stamp must happen by, or ``None`` when no retry is waiting."""
    if not waits_to_restamp(row):
        return None
    assert row.sn is not None
    # Imported here: the GUI's outbox table words this note, and the provider's module
    # is not needed before the window's first paint.
    from meterai.provider.peruri import RESTAMP_WINDOW

    found_at = outbox.serial_found_at(row.sn)
    return None if found_at is None else found_at + RESTAMP_WINDOW


def restamp_note(deadline: float, now: float) -> Message:
    """Until when, or that the window has passed (the provider may refuse the retry)."""
    when = datetime.fromtimestamp(deadline).strftime("%Y-%m-%d %H:%M")
    if now < deadline:
        return Message(
            N_("retry the stamp by {when} (the provider's 48-hour window)"), {"when": when}
        )
    return Message(
        N_(
            "the provider's 48-hour window for retrying this stamp closed at {when}: "
            "keep the evidence (meterai evidence) and ask the provider before retrying"
        ),
        {"when": when},
    )
