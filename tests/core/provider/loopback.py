"""A tiny HTTP/1.1 server on 127.0.0.1 made of plain sockets, for wire-level behaviour.

Plain sockets, because the tests need to control exactly when bytes move (or
stop moving), and to discard an upload without allocating for it.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

LOGIN_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJl"


@dataclass
class Req:
    conn: socket.socket
    method: str
    path: str
    headers: dict[str, str]
    rest: bytes
    received: int = 0
    scratch: bytearray = field(default_factory=lambda: bytearray(64 * 1024))

    @property
    def length(self) -> int:
        return int(self.headers.get("content-length", "0"))

    def discard_body(self) -> int:
        """Read and drop the body into a fixed buffer: no allocation per chunk."""
        remaining = self.length - len(self.rest)
        self.received = len(self.rest)
        view = memoryview(self.scratch)
        while remaining > 0:
            n = self.conn.recv_into(view[: min(len(view), remaining)])
            if n == 0:
                break
            remaining -= n
            self.received += n
        return self.received

    def body(self) -> bytes:
        data = self.rest
        while len(data) < self.length:
            chunk = self.conn.recv(65536)
            if not chunk:
                break
            data += chunk
        return data

    def send_head(self, status: int, length: int, ctype: str = "application/json") -> None:
        head = (
            f"HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {length}\r\n"
            "Connection: close\r\n\r\n"
        )
        self.conn.sendall(head.encode())

    def reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_head(status, len(data))
        self.conn.sendall(data)


Handler = Callable[[Req], None]


def login_answer(req: Req) -> None:
    req.body()
    user = {"id": "u-1", "firstName": "Demo"}
    req.reply(
        200,
        {"statusCode": "00", "token": LOGIN_TOKEN, "result": {"data": {"login": {"user": user}}}},
    )


def _read_head(conn: socket.socket) -> tuple[bytes, bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _serve_one(conn: socket.socket, handler: Handler) -> None:
    with conn:
        parsed = _read_head(conn)
        if parsed is None:
            return
        head, rest = parsed
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        req = Req(conn, method, path, headers, rest)
        try:
            if path == "/api/users/login":
                login_answer(req)
            else:
                handler(req)
        except OSError:
            pass


@contextmanager
def serve(handler: Handler) -> Iterator[str]:
    """Yield a base URL; every connection gets its own thread; all stop on exit."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(10)
            worker = threading.Thread(target=_serve_one, args=(conn, handler), daemon=True)
            worker.start()
            workers.append(worker)

    acceptor = threading.Thread(target=accept_loop, daemon=True)
    acceptor.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        acceptor.join(2)
        listener.close()
        for worker in workers:
            worker.join(5)


def urls(base: str) -> dict[str, str]:
    return dict.fromkeys(("backendservice", "stampv2", "fileupload", "stampservice"), base)
