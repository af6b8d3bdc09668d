"""The provider's HTTP API: a typed client whose every failure says what to do next.

Import from here: ``ProviderClient`` (the HTTP client for Peruri's API, also used for
the sandbox), ``PeruriProvider`` (the adapter the engine uses, behind the port in
``provider.ports``), the result and
request dataclasses, and the classified errors (``meterai.errors.ErrorKind`` says
what each one means to the engine).

Names resolve on first use (PEP 562): ``meterai.provider.redact`` is imported by the
logging set-up of every start, the GUI's too, and importing the client here would pull
httpx (a third of a second) in before the first window is painted.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Imported now, and cheap: the function ``redact`` must shadow the submodule of that name.
from meterai.provider.redact import RedactingFilter, redact

if TYPE_CHECKING:
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

# Where each public name lives; the modules are imported by ``__getattr__`` when asked.
_HOMES = {
    "DEFAULT_STALL_TIMEOUT": "client",
    "ProviderClient": "client",
    "tls_context": "client",
    "ConnectionStalled": "errors",
    "MalformedResponse": "errors",
    "ResultNotFound": "errors",
    "ServiceBusy": "errors",
    "ServiceUnreachable": "errors",
    "SigningRetry": "errors",
    "StampingRejected": "errors",
    "TlsUntrusted": "errors",
    "UnknownFailure": "errors",
    "PeruriProvider": "peruri",
    "Balance": "schemas",
    "DocType": "schemas",
    "LoginResult": "schemas",
    "SerialNumber": "schemas",
    "SigningParams": "schemas",
    "SnListEntry": "schemas",
    "SnStatus": "schemas",
    "StampRequestFields": "schemas",
    "StampResult": "schemas",
    "UploadResult": "schemas",
    "Session": "session",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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
