"""Events the engine reports: a plain callable receives them (the CLI prints, the GUI re-emits)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from meterai.outbox.store import RequestRow


@dataclass(frozen=True)
class StateChanged:
    row: RequestRow
    from_state: str


@dataclass(frozen=True)
class BytesMoved:
    request_id: int
    phase: str  # "upload" or "download"
    done: int
    total: int | None


@dataclass(frozen=True)
class Waiting:
    """A request will not be tried before ``until``; ``reason`` is shown to the user."""

    request_id: int
    reason: str
    until: float
    queue_position: int | None = None
    provider_message: str | None = None


@dataclass(frozen=True)
class NeedsAttention:
    row: RequestRow
    message: str


@dataclass(frozen=True)
class Connectivity:
    online: bool
    detail: str = ""


@dataclass(frozen=True)
class Deadline:
    """``sync --once`` stops at ``until`` at the latest unless some request gets further."""

    until: float


Event = StateChanged | BytesMoved | Waiting | NeedsAttention | Connectivity | Deadline
Subscriber = Callable[[Event], None]


def ignore(_event: Event) -> None:
    """The default subscriber."""
