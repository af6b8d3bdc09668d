"""The one exception tree of Meterai Desk.

Every failure a user can meet is a ``MeteraiError`` with a stable ``code`` and a
message id marked for translation; ``str()`` is English for logs, and
``user_message()`` is in the current language. Verdicts (pre-flight findings, a
verification report) are data, not exceptions.
"""

from __future__ import annotations

import enum
import stat
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from meterai.i18n import N_
from meterai.messages import Message, Param

if TYPE_CHECKING:
    from meterai.documents.preflight import Finding


class MeteraiError(Exception):
    """Root of every expected failure; bugs stay builtin exceptions."""

    code: ClassVar[str] = "error"
    template: ClassVar[str] = N_("Something went wrong: {detail}")

    def __init__(self, template: str | None = None, **params: Any) -> None:
        self.params = params
        self.message_id = template if template is not None else type(self).template
        super().__init__(self.message().english())

    def user_message(self) -> str:
        """The message in the current language, with its parameters filled in."""
        return self.message().text()

    def message(self) -> Message:
        """As data: worded when read, in whatever language the reader has (or stored)."""
        return Message(self.message_id, {k: _param(v) for k, v in self.params.items()})


def _param(value: Any) -> Param:
    if isinstance(value, MeteraiError):
        return value.message()
    return value if isinstance(value, str | int | float | Message) else str(value)


class InputError(MeteraiError):
    code = "input"
    template = N_("The input was rejected: {detail}")


class UsageError(InputError):
    code = "usage"
    template = N_("{detail}")


class PdfRejected(InputError):
    """A document failed pre-flight; ``findings`` (the blocking ones) say why, so a
    caller can say it again in another language (the kiosk's bilingual notes)."""

    code = "pdf_rejected"
    template = N_("{file}: {reason}")

    def __init__(
        self, template: str | None = None, *, findings: Sequence[Finding] = (), **params: Any
    ) -> None:
        super().__init__(template, **params)
        self.findings: tuple[Finding, ...] = tuple(findings)


class NotARegularFile(InputError):
    """A named pipe, device or socket given as a document: reading one could block forever."""

    code = "not_a_regular_file"
    template = N_("{file} is not an ordinary file; only files can be stamped.")

    @classmethod
    def of(cls, name: str, mode: int) -> NotARegularFile:
        """The message names what the file is, which is what the user must look at."""
        if stat.S_ISFIFO(mode):
            return cls(
                N_("{file} is a named pipe (FIFO), not a file; only files can be stamped."),
                file=name,
            )
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            return cls(N_("{file} is a device, not a file; only files can be stamped."), file=name)
        if stat.S_ISSOCK(mode):
            return cls(N_("{file} is a socket, not a file; only files can be stamped."), file=name)
        if stat.S_ISDIR(mode):
            return cls(N_("{file} is a folder, not a file; only files can be stamped."), file=name)
        return cls(file=name)


class PlacementError(InputError):
    code = "placement"
    template = N_("The stamp does not fit: {detail}")


class IllegalTransition(MeteraiError):
    code = "illegal_transition"
    template = N_("Request {request_id} cannot go from {from_state} to {to_state}.")


class RequestNotFound(InputError):
    code = "request_not_found"
    template = N_("There is no request {request_id} in the outbox.")


class ErrorKind(enum.Enum):
    """What the sync engine does with a failed provider call: the one classification."""

    TRANSIENT = "transient"
    """Back off (honouring ``retry_after``) and try again; check ``maybe_committed`` first."""
    AUTH = "auth"
    """The session already logged in again once and it did not help: stop and ask the user."""
    USER_ACTION = "user_action"
    """Retrying cannot help (bad document, no balance): needs_attention with the message."""
    SIGNING_RETRY = "signing_retry"
    """Stamp again with the same SN, the same bytes and ``retryFlag`` "1"."""
    UNKNOWN = "unknown"
    """Keep the SN, back off, and after N failures ask the user; never buy again."""


class ProviderError(MeteraiError):
    """A failed call to the stamping service, carrying the one decision the engine makes.

    The engine never reads an HTTP status or a provider code: ``kind`` says what to do
    next and ``maybe_committed`` whether the provider may have acted on the request
    (the only thing that matters before repeating a paid call). ``maybe_committed`` is
    deliberately pessimistic: False only when the request provably never reached the
    provider in full (no connection, the body could not be sent, or a definite refusal
    such as 429/503 or a non-success status code).

    ``provider_message`` is the provider's own words as it sent them ("Antrian sedang
    penuh"): kept with the request and shown beside our explanation, because it is what
    the helpdesk and the portal say too.
    """

    code = "provider"
    template = N_("The stamping service failed: {detail}")
    kind: ClassVar[ErrorKind] = ErrorKind.UNKNOWN

    def __init__(
        self,
        template: str | None = None,
        *,
        endpoint: str = "",
        maybe_committed: bool = False,
        retry_after: float | None = None,
        queue_position: int | None = None,
        http_status: int | None = None,
        provider_code: str | None = None,
        provider_message: str | None = None,
        **params: Any,
    ) -> None:
        params.setdefault("detail", "")
        if provider_code is not None:
            params.setdefault("provider_code", provider_code)
        super().__init__(template, **params)
        self.endpoint = endpoint
        self.maybe_committed = maybe_committed
        self.retry_after = retry_after
        self.queue_position = queue_position
        self.http_status = http_status
        self.provider_code = provider_code
        self.provider_message = provider_message


class ProviderUnavailable(ProviderError):
    code = "provider_unavailable"
    template = N_("The stamping service cannot be reached: {detail}")
    kind = ErrorKind.TRANSIENT


class ProviderRejected(ProviderError):
    code = "provider_rejected"
    template = N_("The stamping service refused the request (code {provider_code}): {detail}")


class BalanceExhausted(ProviderError):
    code = "balance_exhausted"
    template = N_("The account has no stamps left. Top up the balance, then retry.")
    kind = ErrorKind.USER_ACTION


class AuthExpired(ProviderError):
    """The token was refused (HTTP 401 or code ``01``): the session logs in again once."""

    code = "auth_expired"
    template = N_("The login to the stamping service has expired.")
    kind = ErrorKind.AUTH


class AuthFailed(ProviderError):
    code = "auth_failed"
    template = N_("The stamping service refused the user name or password.")
    kind = ErrorKind.AUTH


class SigningError(MeteraiError):
    code = "signing"
    template = N_("Signing failed: {detail}")


class VerificationError(MeteraiError):
    code = "verification"
    template = N_("The stamped file could not be checked: {detail}")


class StoreError(MeteraiError):
    code = "store"
    template = N_("The local database failed: {detail}")


class StoreCorrupt(StoreError):
    code = "store_corrupt"
    template = N_(
        "The local database {path} is damaged ({detail}). It was left untouched; run "
        "`meterai recover --restore` to rebuild it from the newest backup."
    )


class StoreLocked(StoreError):
    code = "store_locked"
    template = N_("The local database {path} is in use by another program. Close it and retry.")


class MigrationError(StoreError):
    code = "store_too_new"
    template = N_(
        "The local database {path} was written by a newer version of Meterai Desk "
        "(schema {found}, this version knows {known}). It was left untouched; update the app."
    )


class DiskError(MeteraiError):
    """The disk refused a write: the environment's fault, not a request's (see ``disk``)."""

    code = "disk"
    template = N_("The disk refused to write in {path}: {detail}")


class ReadOnlyFolder(DiskError):
    code = "read_only_folder"
    template = N_(
        "The data folder is read-only: {path}. Nothing was lost; make it writable "
        "(or choose another folder with --data-dir) and run the command again."
    )


class DiskFull(DiskError):
    code = "disk_full"
    template = N_(
        "The disk is full: {needed_mb} MB are needed in {path}. Nothing was lost; free "
        "some space and run the command again."
    )


class FileInUse(DiskError):
    """Windows keeps a file another program holds open from being replaced or deleted."""

    code = "file_in_use"
    template = N_(
        "{path} could not be replaced or deleted: another program has it open (a PDF "
        "viewer, an antivirus scan), or it may not be changed. Nothing was lost; close it "
        "there and try again."
    )


class ConfigError(MeteraiError):
    code = "config"
    template = N_("The settings file {path} cannot be read: {detail}")


class Cancelled(MeteraiError):
    code = "cancelled"
    template = N_("Cancelled.")
