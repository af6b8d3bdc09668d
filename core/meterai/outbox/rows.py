"""The values that cross the outbox's boundary: what the user queued, a request as read
back, a journal row, a corrected document, and the outbox's refusals.

They are plain frozen dataclasses and errors, the same whichever backend keeps them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from meterai.errors import InputError
from meterai.i18n import N_, _
from meterai.messages import Message
from meterai.outbox.states import State

# Fields the engine may change as a request moves; everything else is fixed at queue time.
MUTABLE_FIELDS = frozenset(
    {
        "attempts",
        "next_attempt_at",
        "last_error",
        "provider_file_id",
        "sn",
        "numbering_tag",
        "stamped_path",
        "output_path",
        "source_path",
        "out_dir",
        "profile",
        "stamp_tries",
        "result_url",
        "waiting_reason",
        "last_error_msg",
        "queue_position",
        "provider_message",
    }
)


# States in which nothing is done with a request's serial number: a person was asked, or it
# was sent again and waits to upload (from ``uploaded`` on, the engine may be reassigning or


@dataclass(frozen=True)
class NewRequest:
    """What the user confirmed: a stored document, where the stamp goes, and its description."""

    doc_sha256: str
    file_name: str
    doc_type: str
    page_index: int
    rect: tuple[float, float, float, float]
    source_path: str | None = None
    nodoc: str | None = None
    tgldoc: str | None = None
    nilaidoc: int | None = None
    out_dir: str | None = None
    customer: str | None = None
    namejidentitas: str | None = None
    noidentitas: str | None = None
    namedipungut: str | None = None
    profile: str | None = None
    original_sha256: str | None = None
    """The bytes the user gave, before any fix; ``None`` means they were stored unchanged."""
    doc_type_name: str | None = None
    """The name of the type the user chose; ``None``: the name the cached list gives now."""


@dataclass(frozen=True)
class RequestRow:
    id: int
    state: State
    doc_sha256: str
    file_name: str
    source_path: str | None
    doc_type: str
    page_index: int
    rect_x1: float
    rect_y1: float
    rect_x2: float
    rect_y2: float
    nodoc: str | None
    tgldoc: str | None
    nilaidoc: int | None
    out_dir: str | None
    created_at: float
    updated_at: float
    attempts: int
    next_attempt_at: float | None
    last_error: str | None
    provider_file_id: str | None
    sn: str | None
    numbering_tag: str | None
    stamped_path: str | None
    output_path: str | None
    customer: str | None
    namejidentitas: str | None
    noidentitas: str | None
    namedipungut: str | None
    profile: str | None
    stamp_tries: int
    result_url: str | None
    waiting_reason: str | None
    last_error_msg: str | None
    original_sha256: str | None
    doc_type_name: str | None
    queue_position: int | None
    """The place in the provider's queue its last answer gave, while the request waits."""
    provider_message: str | None
    """The provider's own words in its last refusal, untranslated, as it sent them."""

    def reason(self) -> str:
        """Why it waits or needs attention, in the current language."""
        stored = Message.from_json(self.last_error_msg)
        if stored is not None:
            return stored.text()
        return _(self.waiting_reason) if self.waiting_reason else self.last_error or ""

    def heard(self) -> Message | None:
        """What the provider told us about it: its place in the queue and its own words
        (quoted as sent, untranslated), as one message; ``None`` when it said neither."""
        return heard_from_provider(self.queue_position, self.provider_message)

    @property
    def rect(self) -> tuple[float, float, float, float]:
        return (self.rect_x1, self.rect_y1, self.rect_x2, self.rect_y2)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RequestRow:
        values = {name: row[name] for name in _REQUEST_FIELDS}
        values["state"] = State(values["state"])
        return cls(**values)

    def as_json(self) -> dict[str, Any]:
        body = {f.name: getattr(self, f.name) for f in fields(self)}
        body["state"] = str(self.state)
        body["file"] = self.file_name
        body["sha256"] = self.doc_sha256
        return body


_REQUEST_FIELDS = tuple(f.name for f in fields(RequestRow))
"""Looked up once: ``dataclasses.fields`` per row was a fifth of listing 100,000 requests."""


def heard_from_provider(queue_position: int | None, provider_message: str | None) -> Message | None:
    """The queue position and the provider's words as one message (``status``, the GUI's
    outbox and the live ``sync`` lines word it the same way)."""
    parts = []
    if queue_position is not None:
        parts.append(Message(N_("queue position {n}"), {"n": queue_position}))
    if provider_message:
        parts.append(Message(N_("the provider says: “{text}”"), {"text": provider_message}))
    return Message.joined(parts, "; ") if parts else None


Detail = str | Message
RETRIED_BY_THE_USER = Message(N_("retried by the user"))
CANCELLED_BY_THE_USER = Message(N_("cancelled by the user"))


def stored_detail(detail: Detail | None) -> str | None:
    """What the journal's ``detail`` column keeps: a ``Message`` as JSON, so the line reads
    in whichever language its reader chose (issue 18 item 8), or older callers' text."""
    return detail.to_json() if isinstance(detail, Message) else detail


@dataclass(frozen=True)
class JournalEntry:
    id: int
    request_id: int
    from_state: str | None
    to_state: str
    at: float
    stored: str | None  # the ``detail`` column: a Message as JSON, or English text

    @property
    def message(self) -> Message | None:
        """The detail as a message; text from before messages were stored reads as it is."""
        if not self.stored:
            return None
        found = Message.from_json(self.stored) if self.stored.startswith("{") else None
        return found or Message("{detail}", {"detail": self.stored})

    @property
    def detail(self) -> str | None:
        """In English, as logs, evidence bundles and scripts read it."""
        message = self.message
        return None if message is None else message.english()

    def text(self, lang: str | None = None) -> str:
        """The detail in the reader's language (the current one by default)."""
        message = self.message
        return "" if message is None else message.text(lang)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request_id": self.request_id,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "at": self.at,
            "detail": self.detail,
        }


TAG_PATTERN = re.compile(r"mdk-[0-9a-f]{12}-[0-9a-f]{16}")


def purchase_tag(install_id: str) -> str:
    """A tag fixed at enqueue and sent with the paid call, so the provider's own list of
    serial numbers says which request bought each one, even after the outbox forgot."""
    return f"mdk-{install_id}-{os.urandom(8).hex()}"


class NotCancellable(InputError):
    code = "not_cancellable"
    template = N_(
        "Request {request_id} can no longer be cancelled: a serial number may already be "
        "bought for it. It will be stamped, or reused for your next document."
    )


class AlreadyFinished(InputError):
    code = "already_finished"
    template = N_("Request {request_id} is already finished or cancelled.")


class SerialUsed(InputError):
    code = "serial_used"
    template = N_(
        "Request {request_id} cannot be cancelled or given another document: its serial "
        "number {sn} was used for a stamp. Retry it to fetch the stamped file."
    )


class TypeNotChangeable(InputError):
    code = "type_not_changeable"
    template = N_(
        "Request {request_id} can change its document type only while it needs attention "
        "and before a serial number was bought for it (the one bought carries its type)."
    )


class NotReplaceable(InputError):
    code = "not_replaceable"
    template = N_(
        "Request {request_id} can take a corrected document only when the stamping service "
        "refused its document after a serial number was bought (state: needs attention, "
        "with a serial number). Otherwise cancel it and add the corrected document."
    )


@dataclass(frozen=True)
class Replacement:
    """A corrected document for a request that holds a paid serial number."""

    doc_sha256: str
    original_sha256: str
    file_name: str
    source_path: str
    page_index: int
    rect: tuple[float, float, float, float]
