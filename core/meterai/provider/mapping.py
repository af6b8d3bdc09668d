"""Every httpx exception and every provider answer becomes a classified error here, and only here.

This is the client's ``map_httpcore_exceptions``: ``client.py`` sends requests
and parses successes; whatever went wrong is decided by the functions below,
so the classification table (see the module's tests) lives in one file.

Whether a failed call may have taken effect is tracked with httpcore's
``trace`` extension rather than guessed from the exception type: httpcore
swallows a write error and goes on to read, so a ``ReadError`` alone does not
prove the body was sent. When no trace events arrived (a mock transport), the
answer falls back to the exception type, pessimistically.
"""

from __future__ import annotations

import email.utils
import json
import math
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

import httpx

from meterai.errors import AuthExpired, AuthFailed, BalanceExhausted
from meterai.provider.errors import (
    ConnectionStalled,
    LinkTooSlow,
    MalformedResponse,
    ResultNotFound,
    ServiceBusy,
    ServiceUnreachable,
    SigningRetry,
    StampingRejected,
    TlsUntrusted,
    UnknownFailure,
)
from meterai.provider.link import BelowFloor
from meterai.provider.peruri import (
    EXPIRED,
    OK,
    SIGNING_RETRY_CODES,
    STAMPING_MESSAGES,
    ShapeError,
    messages,
    queue_positions,
    says_no_balance,
    stamp_outcome,
    status_code,
)

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


PAID_CALL = "request_serial"
"""The :class:`Call` name of stampv2, the call that spends a stamp."""


@dataclass
class Call:
    """One HTTP attempt: what it was, and how far its request got (fed by httpcore's trace)."""

    endpoint: str
    method: str
    login: bool = False
    headers_started: bool = False
    body_sent: bool = False
    events: list[str] = field(default_factory=list)

    def trace(self, name: str, info: Mapping[str, Any]) -> None:
        self.events.append(name)
        if name.endswith("send_request_headers.started"):
            self.headers_started = True
        elif name.endswith("send_request_body.complete"):
            self.body_sent = True

    @property
    def mutating(self) -> bool:
        return self.method != "GET"

    def maybe_committed(self, exc: Exception | None = None) -> bool:
        """Could the provider have acted on this request? Never False when unsure."""
        if not self.mutating:
            return False
        if self.headers_started:
            return self.body_sent
        return not isinstance(exc, _NOT_SENT)


# --- transport ---------------------------------------------------------------


def _tls_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


@contextmanager
def transport_errors(call: Call, stall_timeout: float | None) -> Iterator[None]:
    """Map httpx's transport exceptions; everything else (bugs, local I/O) passes through."""
    try:
        yield
    except (httpx.ReadTimeout, httpx.WriteTimeout) as exc:
        raise ConnectionStalled(
            endpoint=call.endpoint,
            maybe_committed=call.maybe_committed(exc),
            seconds=f"{stall_timeout:g}" if stall_timeout is not None else "?",
            detail=type(exc).__name__,
        ) from exc
    except httpx.ConnectError as exc:
        cause = _tls_cause(exc)
        if cause is not None:
            raise TlsUntrusted(
                endpoint=call.endpoint,
                detail=getattr(cause, "verify_message", None) or str(cause),
            ) from exc
        raise _unreachable(call, exc) from exc
    except httpx.ReadError as exc:
        if isinstance(exc.__cause__, BelowFloor):
            raise LinkTooSlow(
                endpoint=call.endpoint,
                maybe_committed=call.maybe_committed(exc),
                detail=str(exc.__cause__),
            ) from exc
        raise _unreachable(call, exc) from exc
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise _unreachable(call, exc) from exc
    except httpx.ProxyError as exc:
        raise _unreachable(call, exc) from exc


def _unreachable(call: Call, exc: Exception) -> ServiceUnreachable:
    text = str(exc) or type(exc).__name__
    return ServiceUnreachable(
        endpoint=call.endpoint,
        maybe_committed=call.maybe_committed(exc),
        detail=f"{type(exc).__name__}: {text}",
    )


# --- HTTP level --------------------------------------------------------------


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        return max(0.0, when.timestamp() - now())
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def queue_position(response: httpx.Response, body: Any) -> int | None:
    candidates: list[Any] = [response.headers.get("X-Queue-Position"), *queue_positions(body)]
    for value in candidates:
        if value is None or isinstance(value, bool):
            continue
        try:
            return int(str(value).strip())
        except ValueError:
            continue
    return None


def _lenient_json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _message(body: Any) -> str:
    texts = messages(body)
    return texts[0] if texts else ""


def check_http(call: Call, response: httpx.Response, now: Callable[[], float] = time.time) -> None:
    """Raise for any non-2xx status; the body has been read already."""
    status = response.status_code
    if 200 <= status < 300:
        return
    body = _lenient_json(response)
    if status == 429 or status >= 500:
        refused = status in (429, 503)
        raise ServiceBusy(
            endpoint=call.endpoint,
            maybe_committed=call.mutating and not refused,
            retry_after=parse_retry_after(response.headers.get("Retry-After"), now),
            queue_position=queue_position(response, body),
            http_status=status,
            provider_message=_message(body) or None,
            status=status,
        )
    code = status_code(body) if isinstance(body, Mapping) else None
    detail = _message(body) or response.reason_phrase or f"HTTP {status}"
    if call.login and status in (400, 401, 403):
        raise AuthFailed(endpoint=call.endpoint, http_status=status, detail=detail)
    if status == 401 or code == EXPIRED:
        raise AuthExpired(endpoint=call.endpoint, http_status=status, provider_code=code)
    if status == 404 and call.endpoint == "download":
        raise ResultNotFound(endpoint=call.endpoint, http_status=status, name=str(response.url))
    raise UnknownFailure(
        endpoint=call.endpoint,
        http_status=status,
        provider_code=code or f"HTTP {status}",
        provider_message=_message(body) or None,
        detail=detail,
    )


def decode_json(call: Call, response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise malformed(call, f"not JSON ({len(response.content)} bytes)") from exc
    if not isinstance(body, Mapping):
        raise malformed(call, f"expected a JSON object, got {type(body).__name__}")
    return body


def malformed(call: Call, detail: str) -> MalformedResponse:
    return MalformedResponse(
        endpoint=call.endpoint, maybe_committed=call.maybe_committed(), detail=detail
    )


# --- provider level ----------------------------------------------------------


def check_envelope(call: Call, body: Mapping[str, Any]) -> None:
    """``statusCode``/``status`` must be ``00``; the paid call's refusals are told apart."""
    code = status_code(body)
    if code == OK:
        return
    detail = _message(body) or f"status {code!r}"
    if call.login:
        raise AuthFailed(endpoint=call.endpoint, provider_code=code, detail=detail)
    if code == EXPIRED:
        raise AuthExpired(endpoint=call.endpoint, provider_code=code)
    if code is None:
        raise malformed(call, "no statusCode in the answer")
    said = _message(body) or None
    if says_no_balance(body, paid_call=call.endpoint == PAID_CALL):
        raise BalanceExhausted(
            endpoint=call.endpoint, provider_code=code, provider_message=said, detail=detail
        )
    raise UnknownFailure(
        endpoint=call.endpoint, provider_code=code, provider_message=said, detail=detail
    )


def check_stamp(call: Call, body: Mapping[str, Any]) -> None:
    """docSigningZ always answers HTTP 200: success is ``status`` "True" and code "00"."""
    succeeded, code = stamp_outcome(body)
    if succeeded and code in (None, "", OK, "0"):
        return
    if code is None and succeeded is None:
        raise malformed(call, "no status in the signing answer")
    code = code or "?"
    detail = _message(body) or f"error code {code}"
    if code == EXPIRED:
        raise AuthExpired(endpoint=call.endpoint, provider_code=code)
    said = _message(body) or None
    if code in STAMPING_MESSAGES:
        raise StampingRejected(
            STAMPING_MESSAGES[code],
            endpoint=call.endpoint,
            provider_code=code,
            provider_message=said,
            detail=detail,
        )
    if code in SIGNING_RETRY_CODES:
        raise SigningRetry(
            endpoint=call.endpoint, provider_code=code, provider_message=said, detail=detail
        )
    if says_no_balance(body):
        raise BalanceExhausted(
            endpoint=call.endpoint, provider_code=code, provider_message=said, detail=detail
        )
    raise UnknownFailure(
        endpoint=call.endpoint, provider_code=code, provider_message=said, detail=detail
    )


def shape_error(call: Call, exc: ShapeError) -> NoReturn:
    raise malformed(call, str(exc)) from exc
