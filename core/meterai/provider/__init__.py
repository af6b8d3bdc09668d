"""The provider's HTTP API: a typed client whose every failure says what to do next.

Import from here: ``ProviderClient`` (the Peruri adapter, also used for the
sandbox), ``ProviderApi`` (the protocol the engine depends on), the result and
request dataclasses, and the classified errors with their ``ErrorKind``.
"""

from meterai.provider.api import ProviderApi
from meterai.provider.client import DEFAULT_STALL_TIMEOUT, ProviderClient, tls_context
from meterai.provider.errors import (
    ConnectionStalled,
    ErrorKind,
    LoginRefused,
    MalformedResponse,
    NoBalance,
    ProviderFailure,
    ResultNotFound,
    ServiceBusy,
    ServiceUnreachable,
    SigningRetry,
    StampingRejected,
    TlsUntrusted,
    TokenExpired,
    UnknownFailure,
    kind_of,
)
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
    "ErrorKind",
    "LoginRefused",
    "LoginResult",
    "MalformedResponse",
    "NoBalance",
    "ProviderApi",
    "ProviderClient",
    "ProviderFailure",
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
    "TokenExpired",
    "UnknownFailure",
    "UploadResult",
    "kind_of",
    "redact",
    "tls_context",
]
