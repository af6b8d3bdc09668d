"""The provider's HTTP API: a typed client whose every failure says what to do next.

Import from here: ``ProviderClient`` (the HTTP client for Peruri's API, also used for
the sandbox), ``PeruriProvider`` (the adapter the engine uses, behind the port in
``provider.ports``), the result and
request dataclasses, and the classified errors (``meterai.errors.ErrorKind`` says
what each one means to the engine).
"""

from meterai.provider.client import DEFAULT_STALL_TIMEOUT, ProviderClient, tls_context
from meterai.provider.errors import (
    ConnectionStalled,
    MalformedResponse,
    ResultNotFound,
    ServiceBusy,
    ServiceUnreachable,
    SigningRetry,
    StampingRejected,
    TlsUntrusted,
    UnknownFailure,
)
from meterai.provider.peruri import PeruriProvider
from meterai.provider.redact import RedactingFilter, redact
from meterai.provider.schemas import (
    Balance,
    DocType,
    LoginResult,
    SerialNumber,
    SigningParams,
    SnListEntry,
    SnStatus,
    StampRequestFields,
    StampResult,
    UploadResult,
)
from meterai.provider.session import Session

__all__ = [
    "DEFAULT_STALL_TIMEOUT",
    "Balance",
    "ConnectionStalled",
    "DocType",
    "LoginResult",
    "MalformedResponse",
    "PeruriProvider",
    "ProviderClient",
    "RedactingFilter",
    "ResultNotFound",
    "SerialNumber",
    "ServiceBusy",
    "ServiceUnreachable",
    "Session",
    "SigningParams",
    "SigningRetry",
    "SnListEntry",
    "SnStatus",
    "StampRequestFields",
    "StampResult",
    "StampingRejected",
    "TlsUntrusted",
    "UnknownFailure",
    "UploadResult",
    "redact",
    "tls_context",
]
