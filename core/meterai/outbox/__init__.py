"""The durable outbox: every accepted stamp request, its state, and the journal of its moves.

The store (and sqlite3 with it) loads on first use: the GUI names states at start-up
but opens the outbox on a worker thread, so the import need not hold up the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from meterai.outbox.states import TRANSITIONS, State, can_move

if TYPE_CHECKING:
    from meterai.outbox.store import NewRequest, Outbox, RequestRow

__all__ = ["TRANSITIONS", "NewRequest", "Outbox", "RequestRow", "State", "can_move"]

_FROM_STORE = frozenset({"NewRequest", "Outbox", "RequestRow"})


def __getattr__(name: str) -> Any:
    if name in _FROM_STORE:
        from meterai.outbox import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
