"""Provider failures, each carrying the one decision the sync engine has to make.

The engine should never have to read an HTTP status or a provider code: every
error the client raises is a :class:`ProviderFailure` whose ``kind`` says what to
do next and whose ``maybe_committed`` says whether the provider may have acted on
the request (the only thing that matters before repeating a paid call). The
classes subclass the shared ``meterai.errors`` tree, so the CLI and GUI
boundaries that know only ``ProviderUnavailable``/``BalanceExhausted``/... still
work unchanged.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

from meterai.errors import (
    AuthExpired,
    AuthFailed,
    BalanceExhausted,
    MeteraiError,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)
from meterai.i18n import N_


class ErrorKind(enum.Enum):
    """What the engine does with a failed call."""

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


class ProviderFailure(ProviderError):
    """Base of every error ``ProviderClient`` raises.

    ``maybe_committed`` is deliberately pessimistic: it is False only when the
    request provably never reached the provider in full (no connection, the
    body could not be sent, or a definite refusal such as 429/503 or a
    non-success status code).
    """

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


class ServiceUnreachable(ProviderFailure, ProviderUnavailable):
    """No usable connection or the connection broke (transport-level)."""

    code = "provider_unreachable"
    kind = ErrorKind.TRANSIENT


class ConnectionStalled(ProviderFailure, ProviderUnavailable):
    code = "provider_stalled"
    template = N_("The connection to the stamping service stalled (no data moved for {seconds} s).")
    kind = ErrorKind.TRANSIENT


class LinkTooSlow(ProviderFailure, ProviderUnavailable):
    """An answer that trickles: each byte inside the stall timer, the whole far below a floor."""

    code = "provider_too_slow"
    template = N_(
        "The stamping service's answer came too slowly ({detail}); it will be asked again."
    )
    kind = ErrorKind.TRANSIENT


class ResultTooLarge(ProviderFailure, ProviderUnavailable):
    """A stamped file far larger than the document sent: cut off while streaming."""

    code = "result_too_large"
    template = N_(
        "The stamped file the stamping service sent is larger than {limit} bytes, far more "
        "than the document plus a stamp; the download was stopped and will be tried again."
    )
    kind = ErrorKind.TRANSIENT


class TlsUntrusted(ProviderFailure, ProviderUnavailable):
    """Transient on purpose: the usual cause is a captive portal, which goes away."""

    code = "provider_tls"
    template = N_(
        "The stamping service's certificate could not be verified ({detail}). "
        "A Wi-Fi login page or a wrong CA file for this profile is the usual cause."
    )
    kind = ErrorKind.TRANSIENT


class ServiceBusy(ProviderFailure, ProviderUnavailable):
    """5xx or 429: ``retry_after`` and ``queue_position`` tell the engine how long to wait."""

    code = "provider_busy"
    template = N_("The stamping service is busy or failing (HTTP {status}).")
    kind = ErrorKind.TRANSIENT


class MalformedResponse(ProviderFailure, ProviderUnavailable):
    """The provider answered but the answer is unreadable: it may have acted on the request."""

    code = "provider_malformed"
    template = N_("The stamping service sent an unreadable answer: {detail}")
    kind = ErrorKind.TRANSIENT


class TokenExpired(ProviderFailure, AuthExpired):
    kind = ErrorKind.AUTH


class LoginRefused(ProviderFailure, AuthFailed):
    kind = ErrorKind.AUTH
    retryable = False


class NoBalance(ProviderFailure, BalanceExhausted):
    kind = ErrorKind.USER_ACTION
    retryable = False


class StampingRejected(ProviderFailure, ProviderRejected):
    """Stamping codes 80-83 and 90: the document or the input has to change first."""

    code = "stamping_rejected"
    kind = ErrorKind.USER_ACTION
    retryable = False


class SigningRetry(ProviderFailure, ProviderRejected):
    code = "signing_retry"
    template = N_(
        "The stamping service could not sign this time (code {provider_code}); "
        "it will be tried again with the same serial number."
    )
    kind = ErrorKind.SIGNING_RETRY
    retryable = True


class UnknownFailure(ProviderFailure, ProviderRejected):
    code = "provider_unknown"
    kind = ErrorKind.UNKNOWN
    retryable = True


class ResultNotFound(ProviderFailure, ProviderRejected):
    """A 404 on download: this location has no result, which proves little on its own.

    The location may be wrong (a broken ``urlFile``), the file may not be visible
    yet, or the 72 h clean-up may have removed it: the engine tries the other
    locations it knows before it says the result is gone. UNKNOWN rather than
    USER_ACTION so it retries a few times; it must never answer this by buying.
    """

    code = "result_not_found"
    template = N_("The stamped file {name} was not found on the stamping service.")
    kind = ErrorKind.UNKNOWN
    retryable = True


class ResultLocationUnknown(ProviderFailure, ProviderRejected):
    """A stamped request with no location to fetch its result from (no URL, no file id).

    UNKNOWN so the engine asks the provider again a few times before telling the user.
    """

    code = "result_location_unknown"
    template = N_("The stamping service does not say where the stamped file for {sn} is.")
    kind = ErrorKind.UNKNOWN
    retryable = True


STAMPING_MESSAGES: dict[str, str] = {
    "80": N_("The document was changed after it was signed, so it cannot be stamped."),
    "81": N_("A signature already in the document is not valid, so it cannot be stamped."),
    "82": N_(
        "The stamping service cannot upgrade this PDF (it is encrypted or password-protected)."
    ),
    "83": N_("The document is certified against changes (DocMDP), so it cannot be stamped."),
    "90": N_("The stamping service rejected the stamp data as invalid: {detail}"),
}
"""The stamping codes where the user has to act, with what to tell them."""

SIGNING_RETRY_CODES = frozenset({"92", "97"})


def kind_of(exc: BaseException) -> ErrorKind:
    """Classify errors that did not come from the client (a fake in a simulation, a bug)."""
    if isinstance(exc, ProviderFailure):
        return exc.kind
    if isinstance(exc, AuthExpired | AuthFailed):
        return ErrorKind.AUTH
    if isinstance(exc, BalanceExhausted):
        return ErrorKind.USER_ACTION
    if isinstance(exc, ProviderUnavailable):
        return ErrorKind.TRANSIENT
    if isinstance(exc, MeteraiError) and not exc.retryable and not isinstance(exc, ProviderError):
        return ErrorKind.USER_ACTION
    return ErrorKind.UNKNOWN


__all__ = [
    "STAMPING_MESSAGES",
    "ConnectionStalled",
    "ErrorKind",
    "LinkTooSlow",
    "LoginRefused",
    "MalformedResponse",
    "NoBalance",
    "ProviderFailure",
    "ResultLocationUnknown",
    "ResultNotFound",
    "ResultTooLarge",
    "ServiceBusy",
    "ServiceUnreachable",
    "SigningRetry",
    "StampingRejected",
    "TlsUntrusted",
    "TokenExpired",
    "UnknownFailure",
    "kind_of",
]
