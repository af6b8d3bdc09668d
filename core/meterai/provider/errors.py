"""The client's classified failures: each one a leaf of the ``meterai.errors`` tree.

Every error ``ProviderClient`` raises is a ``ProviderError`` whose ``kind`` says what
the engine does next; the leaves below only name the transport's and the answer's
particular ways of failing, under the one shared branch that says what they mean
(unavailable: wait and retry; rejected: the provider said no).
"""

from __future__ import annotations

from meterai.errors import ErrorKind, ProviderRejected, ProviderUnavailable
from meterai.i18n import N_


class ServiceUnreachable(ProviderUnavailable):
    """No usable connection or the connection broke (transport-level)."""

    code = "provider_unreachable"


class ConnectionStalled(ProviderUnavailable):
    code = "provider_stalled"
    template = N_("The connection to the stamping service stalled (no data moved for {seconds} s).")


class LinkTooSlow(ProviderUnavailable):
    """An answer that trickles: each byte inside the stall timer, the whole far below a floor."""

    code = "provider_too_slow"
    template = N_(
        "The stamping service's answer came too slowly ({detail}); it will be asked again."
    )


class ResultTooLarge(ProviderUnavailable):
    """A stamped file far larger than the document sent: cut off while streaming."""

    code = "result_too_large"
    template = N_(
        "The stamped file the stamping service sent is larger than {limit} bytes, far more "
        "than the document plus a stamp; the download was stopped and will be tried again."
    )


class TlsUntrusted(ProviderUnavailable):
    """Transient on purpose: the usual cause is a captive portal, which goes away."""

    code = "provider_tls"
    template = N_(
        "The stamping service's certificate could not be verified ({detail}). "
        "A Wi-Fi login page or a wrong CA file for this profile is the usual cause."
    )


class ServiceBusy(ProviderUnavailable):
    """5xx or 429: ``retry_after`` and ``queue_position`` tell the engine how long to wait."""

    code = "provider_busy"
    template = N_("The stamping service is busy or failing (HTTP {status}).")


class MalformedResponse(ProviderUnavailable):
    """The provider answered but the answer is unreadable: it may have acted on the request."""

    code = "provider_malformed"
    template = N_("The stamping service sent an unreadable answer: {detail}")


class StampingRejected(ProviderRejected):
    """Stamping codes 80-83 and 90: the document or the input has to change first."""

    code = "stamping_rejected"
    kind = ErrorKind.USER_ACTION


class SigningRetry(ProviderRejected):
    code = "signing_retry"
    template = N_(
        "The stamping service could not sign this time (code {provider_code}); "
        "it will be tried again with the same serial number."
    )
    kind = ErrorKind.SIGNING_RETRY


class UnknownFailure(ProviderRejected):
    code = "provider_unknown"


class ResultNotFound(ProviderRejected):
    """A 404 on download: this location has no result, which proves little on its own.

    The location may be wrong (a broken ``urlFile``), the file may not be visible
    yet, or the 72 h clean-up may have removed it: the engine tries the other
    locations it knows before it says the result is gone. UNKNOWN rather than
    USER_ACTION so it retries a few times; it must never answer this by buying.
    """

    code = "result_not_found"
    template = N_("The stamped file {name} was not found on the stamping service.")


class ResultLocationUnknown(ProviderRejected):
    """A stamped request with no location to fetch its result from (no URL, no file id).

    UNKNOWN so the engine asks the provider again a few times before telling the user.
    """

    code = "result_location_unknown"
    template = N_("The stamping service does not say where the stamped file for {sn} is.")


__all__ = [
    "ConnectionStalled",
    "LinkTooSlow",
    "MalformedResponse",
    "ResultLocationUnknown",
    "ResultNotFound",
    "ResultTooLarge",
    "ServiceBusy",
    "ServiceUnreachable",
    "SigningRetry",
    "StampingRejected",
    "TlsUntrusted",
    "UnknownFailure",
]
