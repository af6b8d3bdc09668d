"""The durable outbox: every accepted stamp request, its state, and the journal of its moves."""

from meterai.outbox.states import TRANSITIONS, State, can_move
from meterai.outbox.store import NewRequest, Outbox, RequestRow

__all__ = ["TRANSITIONS", "NewRequest", "Outbox", "RequestRow", "State", "can_move"]
