"""How far a request really got on the link: bytes the peer acknowledged, not bytes the kernel took.

The kernel's send buffer takes a 1.6 MB upload in a millisecond (it grows to megabytes),
so counting bytes handed to the socket shows 100% at once; on a 25 kB/s uplink nothing
then arrives for a minute while the buffer drains, and a stall timer that waits for the
answer fires although the link is busy. Here the stall timer and the upload's progress
count what the peer has acknowledged:

- on Linux ``SIOCOUTQ`` says how many written bytes are not yet acknowledged; while that
  number falls the link is alive, however long the answer takes to start;
- elsewhere the budget for the first byte of the answer grows by the time the bytes that
  may still be in flight need at the rate this connection has shown (or at the floor).

The same stream cuts a response that trickles: once its first byte has arrived, a rate
below the floor (bytes per second, averaged over a window) ends the read, even if each
byte comes just inside the stall timer.

One ``httpcore`` network backend carries this for every connection of the provider
client; an upload's progress listens through a context variable, because the request
and the connection that carries it only meet inside httpcore.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import ssl
import struct
import sys
import time
import typing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import httpcore
import httpx

from meterai.provider.ports import Progress

Clock = Callable[[], float]

POLL = 0.5
"""How often a waiting read looks at the send queue (seconds)."""


@dataclass(frozen=True)
class RateFloor:
    """A response slower than ``bytes_per_second`` over ``window`` seconds is cut.

    The default (1 kB/s over a minute) is below what a 2G (EDGE) link carries, so only a
    server that trickles on purpose, or a link that is as good as dead, meets it.
    """

    bytes_per_second: float = 1000.0
    window: float = 60.0


class BelowFloor(httpcore.ReadError):
    """The answer came slower than the floor: the mapping turns it into ``LinkTooSlow``."""

    def __init__(self, received: int, seconds: float, floor: RateFloor) -> None:
        super().__init__(
            f"{received} bytes in {seconds:.0f} s, under the floor of "
            f"{floor.bytes_per_second:g} B/s"
        )
        self.received = received
        self.seconds = seconds
        self.floor = floor


def unacknowledged(sock: socket.socket | None) -> int | None:
    """Bytes written to ``sock`` that the peer has not acknowledged yet; None if unknown."""
    if sock is None or not sys.platform.startswith("linux"):
        return None
    import fcntl
    import termios

    try:
        raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")  # SIOCOUTQ
    except (OSError, ValueError):
        return None
    return int(struct.unpack("i", raw)[0])


class AckedProgress:
    """An upload's progress in acknowledged bytes: handed to the socket minus still queued.

    ``handed`` is the body's progress callback (bytes given to the transport); the stream
    that carries the body reports its send queue through :func:`report_queue`. The
    figure only grows, and reaches the total when the last byte is acknowledged.
    """

    def __init__(self, report: Progress | None) -> None:
        self._report = report
        self._handed = 0
        self._total: int | None = None
        self._queued: int | None = None
        self._shown = -1

    def handed(self, sent: int, total: int | None) -> None:
        self._handed, self._total = sent, total
        self._show()

    def queued(self, unacked: int | None) -> None:
        self._queued = unacked
        self._show()

    def _show(self) -> None:
        if self._report is None:
            return
        acked = self._handed - min(self._handed, self._queued or 0)
        if self._queued is None and self._total is not None and self._handed >= self._total:
            acked = self._handed - 1  # not known to be acknowledged until the answer comes
        if acked > self._shown:
            self._shown = acked
            self._report(acked, self._total)

    def finished(self) -> None:
        """The answer arrived: every byte of the body was received."""
        if self._total is not None:
            self._queued = 0
            self._handed = self._total
            self._show()

    @contextlib.contextmanager
    def listening(self) -> Iterator[AckedProgress]:
        token = _LISTENER.set(self)
        try:
            yield self
        finally:
            _LISTENER.reset(token)


_LISTENER: contextvars.ContextVar[AckedProgress | None] = contextvars.ContextVar(
    "meterai_acked_progress", default=None
)


def report_queue(unacked: int | None) -> None:
    listener = _LISTENER.get()
    if listener is not None:
        listener.queued(unacked)


class _Arrivals:
    """Bytes received since the answer's first byte, to measure its rate over a window."""

    def __init__(self, floor: RateFloor, clock: Clock) -> None:
        self.floor = floor
        self.clock = clock
        self.started: float | None = None
        self.recent: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        self.started = None
        self.recent.clear()

    def arrived(self, count: int) -> None:
        now = self.clock()
        if self.started is None:
            self.started = now
        self.recent.append((now, count))
        self.check(now)

    def check(self, now: float) -> None:
        """Raise when a full window since the first byte carried less than the floor."""
        if self.started is None or now - self.started < self.floor.window:
            return
        while self.recent and self.recent[0][0] < now - self.floor.window:
            self.recent.popleft()
        received = sum(count for _at, count in self.recent)
        if received < self.floor.bytes_per_second * self.floor.window:
            raise BelowFloor(received, self.floor.window, self.floor)


class LinkStream(httpcore.NetworkStream):
    """A connection whose reads wait as long as the peer keeps acknowledging our bytes."""

    def __init__(self, inner: httpcore.NetworkStream, floor: RateFloor, clock: Clock) -> None:
        self._inner = inner
        self._floor = floor
        self._clock = clock
        self._arrivals = _Arrivals(floor, clock)
        self._answering = False
        self._burst = 0
        self._burst_started = 0.0
        self._burst_ended = 0.0

    def _sock(self) -> socket.socket | None:
        sock = self._inner.get_extra_info("socket")
        return sock if isinstance(sock, socket.socket) else None

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self._answering or not self._burst:  # a new exchange on this connection
            self._arrivals.reset()
            self._answering = False
            self._burst, self._burst_started = 0, self._clock()
        self._inner.write(buffer, timeout)
        self._burst += len(buffer)
        self._burst_ended = self._clock()
        report_queue(unacknowledged(self._sock()))

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._read_while_acknowledged(max_bytes, timeout)
        if data:
            self._answering = True
            self._arrivals.arrived(len(data))
        return data

    def _read_while_acknowledged(self, max_bytes: int, timeout: float | None) -> bytes:
        if timeout is None:
            return self._inner.read(max_bytes, None)
        queued = unacknowledged(self._sock())
        deadline = self._clock() + timeout + self._grace(queued)
        while True:
            now = self._clock()
            wait = deadline - now if not queued else min(POLL, deadline - now)
            try:
                return self._inner.read(max_bytes, max(wait, 0.001))
            except httpcore.ReadTimeout:
                now = self._clock()
                self._arrivals.check(now)
                latest = unacknowledged(self._sock())
                report_queue(latest)
                if latest is not None and queued is not None and latest < queued:
                    deadline = now + timeout  # the peer took more: the link is alive
                queued = latest
                if now >= deadline:
                    raise

    def _grace(self, queued: int | None) -> float:
        """Without a send-queue reading: time for what may still be in flight to arrive."""
        if queued is not None or self._answering or not self._burst:
            return 0.0
        sock = self._sock()
        try:
            buffered = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) if sock else 0
        except OSError:
            buffered = 0
        in_flight = min(self._burst, buffered)
        took = self._burst_ended - self._burst_started
        drained = self._burst - in_flight
        rate = drained / took if drained > 0 and took > 0 else 0.0
        return in_flight / max(rate, self._floor.bytes_per_second)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, timeout)
        return LinkStream(inner, self._floor, self._clock)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class LinkBackend(httpcore.NetworkBackend):
    """httpcore's synchronous backend, every connection wrapped in a :class:`LinkStream`."""

    def __init__(self, floor: RateFloor, clock: Clock = time.monotonic) -> None:
        self._inner = httpcore.SyncBackend()
        self._floor = floor
        self._clock = clock

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return LinkStream(inner, self._floor, self._clock)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.connect_unix_socket(path, timeout, socket_options)
        return LinkStream(inner, self._floor, self._clock)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class LinkTransport(httpx.HTTPTransport):
    """httpx's own transport over a connection pool that uses :class:`LinkBackend`.

    httpx does not take a network backend, so the pool it built is replaced by one built
    the same way with ours; request and response handling stay httpx's.
    """

    def __init__(self, ssl_context: ssl.SSLContext, limits: httpx.Limits, floor: RateFloor) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=LinkBackend(floor),
        )
