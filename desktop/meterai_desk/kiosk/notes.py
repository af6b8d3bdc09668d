"""What kiosk mode reports, as plain values the window can hold without the kiosk engine.

The kiosk's own events (``meterai.kiosk``) become notes on the kiosk's thread
(``kiosk.runner``), so the panel and the window never import the engine: starting
the GUI stays cheap, and the panel can be shown (and tested) with notes made by hand.
Words are chosen when a note is shown, so a language switch re-words the history.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from meterai.balance import LowBalance
    from meterai.outbox.store import RequestRow

NoteKind = Literal[
    "taken",
    "done",
    "duplicate",
    "rejected",
    "folder",
    "attention",
    "trouble",
    "recovered",
    "low_balance",
]


@dataclass(frozen=True)
class KioskNote:
    """One thing that happened at the counter.

    ``detail`` is a reason already in words (a refusal, a folder problem); ``row`` is
    the new outbox row of a taken file, so the table can show it before it syncs.
    """

    kind: NoteKind
    customer: str = ""
    file: str = ""
    detail: str = ""
    request_id: int | None = None
    row: RequestRow | None = None
    warning: LowBalance | None = None
    at: float = field(default_factory=time.time)
