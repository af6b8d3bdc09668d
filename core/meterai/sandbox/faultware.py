"""Carrying out fault decisions on the wire, below the routes.

A dropped connection must look to the client like a network failure (httpx
raises ``RemoteProtocolError`` or ``ReadError``), never like an HTTP 500. ASGI
has no "close without answering": if the app raises before responding, uvicorn
sends a 500. So the sandbox runs uvicorn with a small subclass of its HTTP
protocol (httptools', or h11's where httptools is missing) that records each
connection's transport by client address, and a drop aborts that transport
directly. This is the one place where the sandbox needs more control than
Starlette gives, and it stays a thin layer over uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

from meterai.sandbox.faults import TAMPERING, TERMINAL, FaultPlan, Firing

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SIGNING_DELAY = "meterai.signing_delay"
"""The scope key by which ``slow_signing`` tells the stamping route how long to sign."""

MALFORMED_BODY = b'{"statusCode": "00", "result": <html><body>502 Bad Gateway</body></html>'


class ConnectionRegistry:
    """Open transports by client address, so a fault can cut one without answering."""

    def __init__(self) -> None:
        self._transports: dict[tuple[str, int], asyncio.BaseTransport] = {}

    def add(self, client: tuple[str, int], transport: asyncio.BaseTransport) -> None:
        self._transports[client] = transport

    def remove(self, client: tuple[str, int]) -> None:
        self._transports.pop(client, None)

    def get(self, client: Any) -> asyncio.BaseTransport | None:
        return self._transports.get(tuple(client)) if client else None

    def connected(self, client: Any) -> bool:
        transport = self.get(client)
        return transport is not None and not transport.is_closing()

    def abort(self, client: Any) -> bool:
        transport = self._transports.get(tuple(client)) if client else None
        if transport is None or not isinstance(transport, asyncio.WriteTransport):
            return False
        transport.abort()
        return True


def protocol_class(
    registry: ConnectionRegistry, link_rate: Callable[[], int | None] = lambda: None
) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, reporting its transports to ``registry``.

    httptools' parser (C) where it is installed, as ``uvicorn[standard]`` runs: h11's,
    pure Python, spent about a fifth of the event loop's CPU reading requests and
    framing answers. Both uvicorn protocols share the transport, flow control and
    body buffering the faults below rely on.

    While a ``bandwidth`` rule is active (``link_rate`` gives its rate) each new connection
    starts narrow. Narrowing only once a request reaches the fault middleware came too
    late: by then the kernel (whose receive buffer grows to megabytes), asyncio's TLS
    read-ahead (256 KiB) and uvicorn's body buffer had acknowledged whatever the client
    sent meanwhile, and a sandbox that stalls there (a busy machine, a ``latency`` rule)
    let a 25 kB/s link carry 1.6 MB in half a second, then nothing for a minute.
    """
    base: Any = _http_protocol()

    class DroppableProtocol(base):  # type: ignore[misc]  # uvicorn's two protocols, no common base
        def connection_made(self, transport: asyncio.Transport) -> None:
            _no_delay(transport)
            rate = link_rate()
            if rate is not None:
                _narrow_receive_window(transport, rate)
            super().connection_made(transport)
            if self.client:
                registry.add((str(self.client[0]), int(self.client[1])), transport)

        def connection_lost(self, exc: Exception | None) -> None:
            if self.client:
                registry.remove((str(self.client[0]), int(self.client[1])))
            super().connection_lost(exc)

    return DroppableProtocol


def _http_protocol() -> Any:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # httptools not installed: the pure-Python parser
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol
    return HttpToolsProtocol


def _no_delay(transport: asyncio.BaseTransport) -> None:
    """Disable Nagle: asyncio only does so for sockets whose proto is TCP, and uvicorn
    re-wraps a passed-in socket with proto 0, which cost 40 ms per keep-alive response."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class FaultMiddleware:
    """Wraps the app; asks the plan what to do with each provider call, then does it."""

    def __init__(
        self,
        app: ASGIApp,
        plan: FaultPlan,
        registry: ConnectionRegistry,
        endpoint_of: Callable[[str, str], str | None],
    ) -> None:
        self.app = app
        self.plan = plan
        self.registry = registry
        self.endpoint_of = endpoint_of
        self.stopping = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = None
        if scope["type"] == "http":
            endpoint = self.endpoint_of(scope["method"], scope["path"])
        firings = self.plan.decide(endpoint) if endpoint else []
        if not firings:
            await self.app(scope, receive, send)
            return
        terminal: Firing | None = None
        for firing in firings:
            log.info("fault %s on %s (call %d)", firing.fault, endpoint, firing.call)
            if firing.fault == "latency":
                await asyncio.sleep(firing.delay)
            elif firing.fault == "bandwidth":
                bps = firing.rule_obj.bytes_per_second
                client = scope.get("client")
                transport = self.registry.get(client)
                _narrow_receive_window(transport, bps)
                carry_on = functools.partial(self._carry, client)
                receive = _throttled_receive(receive, bps, carry_on, transport)
                send = _throttled_send(send, bps)
            elif firing.fault == "slow_signing":
                scope[SIGNING_DELAY] = firing.delay
            elif firing.fault in TERMINAL:
                terminal = firing
        if terminal is None:
            await self.app(scope, receive, send)
        else:
            await self._terminal(terminal, scope, receive, send)

    def _carry(self, client: Any) -> bool:
        """Should a throttled connection go on? Not once the client left or the server stops
        (then it is cut here, so no transport outlives the server's loop)."""
        if self.registry.connected(client) and not self.stopping.is_set():
            return True
        self.registry.abort(client)
        return False

    async def _terminal(self, firing: Firing, scope: Scope, receive: Receive, send: Send) -> None:
        rule = firing.rule_obj
        if firing.fault == "drop_before_commit":
            await _drain(receive)
            await self._drop(scope, receive)
        elif firing.fault == "drop_after_commit":
            await self.app(scope, receive, _Captured().send)
            await self._drop(scope, receive)
        elif firing.fault == "http_error":
            await _drain(receive)
            error = {"statusCode": str(rule.status), "message": _reason(rule.status)}
            await _json(send, rule.status, error, rule.retry_after)
        elif firing.fault == "queue":
            await _drain(receive)
            retry = rule.retry_after if rule.retry_after is not None else 60
            queued: dict[str, Any] = {
                "statusCode": "503",
                "message": "Antrian sedang penuh, silakan coba kembali nanti",
                "queuePosition": firing.queue_position,
                "retryAfter": retry,
            }
            extra = [(b"x-queue-position", str(firing.queue_position).encode())]
            await _json(send, 503, queued, retry, extra)
        elif firing.fault in ("malformed_json", "truncated_json"):
            captured = _Captured()
            await self.app(scope, receive, captured.send)
            raw = captured.body()
            raw = MALFORMED_BODY if firing.fault == "malformed_json" else raw[: len(raw) // 2]
            await captured.replay(send, raw)
        elif firing.fault == "rewrite_json":
            captured = _Captured()
            await self.app(scope, receive, captured.send)
            await captured.replay(send, _rewritten(captured.body(), rule.path or "", rule.value))
        elif firing.fault in TAMPERING:
            captured = _Captured()
            await self.app(scope, receive, captured.send)
            await captured.replay(send, _tampered(firing.fault, captured))
        elif firing.fault == "refuse_document":
            await _drain(receive)
            refused = {
                "status": "False",
                "errorCode": "90",
                "errorMessage": "PDF tidak dapat dibaca: struktur file rusak",
            }
            await _json(send, 200, refused, None)
        elif firing.fault == "huge_body":
            await _drain(receive)
            await _huge_body(send, receive, rule.size or HUGE_BODY)
        elif firing.fault == "trickle":
            captured = _Captured()
            await self.app(scope, receive, captured.send)
            await _trickle(captured, send, receive, rule.seconds or 5.0)
        elif firing.fault == "hang":
            await _drain(receive)
            if await self._hang(receive, rule.seconds):
                await self._drop(scope, receive)

    async def _hang(self, receive: Receive, seconds: float) -> bool:
        """Wait for the client to give up or the server to stop; True if we should drop."""
        waiters = [
            asyncio.ensure_future(receive()),
            asyncio.ensure_future(self.stopping.wait()),
        ]
        try:
            done, _ = await asyncio.wait(
                waiters, timeout=seconds or None, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
        return waiters[0] not in done

    async def _drop(self, scope: Scope, receive: Receive) -> None:
        if not self.registry.abort(scope.get("client")):
            return  # the client hung up first (a hang it gave up on): nothing left to drop
        try:
            async with asyncio.timeout(2):
                while (await receive())["type"] != "http.disconnect":
                    pass
        except TimeoutError:
            pass


class _Captured:
    """Swallows the app's response so a fault can lose it or rewrite it."""

    def __init__(self) -> None:
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body":
            self.chunks.append(bytes(message.get("body", b"")))

    def body(self) -> bytes:
        return b"".join(self.chunks)

    async def replay(self, send: Send, body: bytes) -> None:
        status = self.start["status"] if self.start else 200
        headers = [
            (k, v)
            for k, v in (self.start or {}).get("headers", [])
            if k.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _rewritten(raw: bytes, path: str, value: Any) -> bytes:
    """``raw`` with the value at ``path`` replaced; an answer without that path is kept."""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw
    *parents, last = path.split(".")
    node = body
    try:
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            return raw
    except (KeyError, IndexError, ValueError, TypeError):
        return raw
    return json.dumps(body).encode()


def _tampered(fault: str, captured: _Captured) -> bytes:
    """The stamped PDF altered after signing; any other answer (an error) passes as is."""
    from meterai.sandbox import tamper

    body = captured.body()
    status = captured.start["status"] if captured.start else 200
    if status != 200 or not body.startswith(b"%PDF-"):
        return body
    if fault == "append_junk":
        return tamper.append_junk(body)
    return tamper.append_content(body)


HUGE_BODY = 1 << 30
_ZEROS = bytes(64 * 1024)


async def _hang_up(receive: Receive) -> None:
    """Returns when the client has closed the connection."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _huge_body(send: Send, receive: Receive, size: int) -> None:
    """``size`` bytes starting with a PDF header, made while sending (memory stays flat)."""
    gone = asyncio.ensure_future(_hang_up(receive))
    try:
        headers = [(b"content-type", b"application/pdf")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
        await send({"type": "http.response.body", "body": head, "more_body": True})
        left = size - len(head)
        while left > 0 and not gone.done():
            chunk = _ZEROS[: min(left, len(_ZEROS))]
            left -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
    finally:
        gone.cancel()


async def _trickle(captured: _Captured, send: Send, receive: Receive, every: float) -> None:
    """The real answer, its body one byte every ``every`` seconds, until the client hangs up."""
    gone = asyncio.ensure_future(_hang_up(receive))
    try:
        body = captured.body()
        status = captured.start["status"] if captured.start else 200
        headers = list((captured.start or {}).get("headers", []))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for index in range(len(body)):
            last = index == len(body) - 1
            await send(
                {
                    "type": "http.response.body",
                    "body": body[index : index + 1],
                    "more_body": not last,
                }
            )
            if last:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(gone), every)
            if gone.done():
                return
    finally:
        gone.cancel()


async def _drain(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _json(
    send: Send,
    status: int,
    body: dict[str, Any],
    retry_after: int | None,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    raw = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
        *(extra or []),
    ]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


def _reason(status: int) -> str:
    return {
        429: "Too Many Requests",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }[status]


def _narrow_receive_window(transport: asyncio.BaseTransport | None, bps: int) -> None:
    """Make a slow reader look like a slow link to the client's TCP stack.

    Reading the body slowly is not enough: on loopback the kernel (whose receive buffer
    grows to megabytes) and asyncio's TLS layer would accept and acknowledge the whole
    upload at once, and the client would see it sent in a millisecond. A receive buffer
    of about a second at the link's rate, and a TLS read-ahead as small, keep the unread
    bytes in the client's send queue, acknowledged only as fast as the "link" carries
    them: what a client on a real 25 kB/s uplink sees.
    """
    if transport is None:
        return
    window = max(4096, bps)
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, window)
    limits = getattr(transport, "set_read_buffer_limits", None)
    if limits is not None:
        with contextlib.suppress(Exception):
            limits(high=window)


def _throttled_receive(
    receive: Receive,
    bps: int,
    carry_on: Callable[[], bool],
    transport: asyncio.BaseTransport | None = None,
) -> Receive:
    """Each part of the body is held for as long as the link would take to carry it; a
    client that hangs up meanwhile, or the server stopping, ends the wait.

    Meanwhile the connection reads nothing: else uvicorn, which resumes reading whenever
    the app asks for more, would take and acknowledge up to 64 KiB more while the link is
    still busy with this part, and the client would see its bytes arrive ahead of the rate.
    """

    async def wrapped() -> Message:
        message = await receive()
        delay = len(message.get("body", b"")) / bps
        with _reading_paused(transport if delay > 0 else None):
            while delay > 0:
                if not carry_on():
                    return {"type": "http.disconnect"}
                step = min(delay, 0.5)
                await asyncio.sleep(step)
                delay -= step
        return message

    return wrapped


@contextlib.contextmanager
def _reading_paused(transport: asyncio.BaseTransport | None) -> Iterator[None]:
    reader = transport if isinstance(transport, asyncio.ReadTransport) else None
    if reader is None or reader.is_closing() or not reader.is_reading():
        yield
        return
    reader.pause_reading()
    try:
        yield
    finally:
        if not reader.is_closing():
            reader.resume_reading()


def _throttled_send(send: Send, bps: int) -> Send:
    step = max(1, bps // 10)

    async def wrapped(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        body = bytes(message.get("body", b""))
        more = message.get("more_body", False)
        for offset in range(0, max(len(body), 1), step):
            chunk = body[offset : offset + step]
            last = offset + step >= len(body)
            await send({"type": "http.response.body", "body": chunk, "more_body": more or not last})
            await asyncio.sleep(len(chunk) / bps)

    return wrapped
