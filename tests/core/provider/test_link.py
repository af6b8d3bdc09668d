"""Wire-level behaviour over real loopback sockets: streaming uploads, stalls, commit points."""

from __future__ import annotations

import datetime as dt
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from meterai.errors import ErrorKind
from meterai.provider import (
    ConnectionStalled,
    ProviderClient,
    ServiceUnreachable,
    StampRequestFields,
)

from .loopback import Req, serve, urls

MB = 1024 * 1024
FIELDS = StampRequestFields(
    idfile="f1", namadoc="4b", namafile="t.pdf", nodoc="t", tgldoc=dt.date(2025, 1, 2)
)


def _client(base: str, stall: float = 5.0) -> ProviderClient:
    return ProviderClient(urls(base), credentials=lambda: ("demo", "pw"), stall_timeout=stall)


def test_upload_streams_a_50_mb_file_with_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.pdf"
    with path.open("wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(50 * MB)
    received: list[int] = []
    announced: list[int] = []

    def receiver(req: Req) -> None:
        announced.append(req.length)
        received.append(req.discard_body())
        req.reply(200, {"statusCode": "00", "id": "f1", "name": "doc_f1.pdf"})

    progress: list[tuple[int, int | None]] = []
    with serve(receiver) as base, _client(base) as client:
        client.session.token()  # log in outside the measurement
        tracemalloc.start()
        try:
            result = client.upload(path, lambda done, total: progress.append((done, total)))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.file_id == "f1"
    assert received == announced and announced[0] > 50 * MB
    assert progress[-1] == (announced[0], announced[0])
    assert len(progress) > 100
    print(f"upload peak {peak / MB:.2f} MB")
    assert peak < 4 * MB, f"peak {peak / MB:.1f} MB for a 50 MB upload"


SILENCE_LIMIT = 30.0
"""How long a silent test server holds its connection open at most: only a client whose
stall timer never fires waits this long, and then it fails on the close, not on a stall."""


def _jenisdoc_trickle(interval: float, silent_until: threading.Event | None = None) -> tuple:  # type: ignore[type-arg]
    """A handler sending the answer in 4-byte pieces; with ``silent_until`` it goes quiet
    after three and keeps the connection open until that event (the client gave up), so a
    loaded machine cannot see the close before the stall."""
    body = b'{"statusCode":"00","result":[{"id":1,"kode":"4b","nama":"Surat"}]}'

    def handler(req: Req) -> None:
        req.send_head(200, len(body))
        pieces = [body[i : i + 4] for i in range(0, len(body), 4)]
        for n, piece in enumerate(pieces):
            if silent_until is not None and n == 3:
                silent_until.wait(SILENCE_LIMIT)
                return
            req.conn.sendall(piece)
            time.sleep(interval)

    return handler, len(body)


def test_a_slow_but_steady_answer_outlives_the_stall_timeout() -> None:
    handler, _ = _jenisdoc_trickle(interval=0.1)
    stall = 0.5
    with serve(handler) as base, _client(base, stall=stall) as client:
        client.session.token()
        started = time.monotonic()
        types = client.doc_types()
        elapsed = time.monotonic() - started
    assert types[0].kode == "4b"
    assert elapsed > 2 * stall  # longer than the stall timeout in total, and still fine


def test_a_silent_answer_fails_as_a_stall() -> None:
    gave_up = threading.Event()
    handler, _ = _jenisdoc_trickle(interval=0.05, silent_until=gave_up)
    with serve(handler) as base, _client(base, stall=0.5) as client:
        client.session.token()
        started = time.monotonic()
        try:
            with pytest.raises(ConnectionStalled) as info:
                client.doc_types()
        finally:
            gave_up.set()
        # The 0.5 s given, not the client's default 5 s, is the timer that fired.
        assert time.monotonic() - started < 5.0
    assert info.value.kind is ErrorKind.TRANSIENT


def test_silence_after_the_paid_request_was_sent_is_maybe_committed() -> None:
    gave_up = threading.Event()

    def handler(req: Req) -> None:
        req.body()
        gave_up.wait(SILENCE_LIMIT)  # silent, the connection open, until the client gave up

    with serve(handler) as base, _client(base, stall=0.4) as client:
        try:
            with pytest.raises(ConnectionStalled) as info:
                client.request_serial(FIELDS)
        finally:
            gave_up.set()
    assert info.value.maybe_committed is True


def test_connection_dropped_after_the_request_is_maybe_committed() -> None:
    def handler(req: Req) -> None:
        req.body()  # then close without answering

    with (
        serve(handler) as base,
        _client(base) as client,
        pytest.raises(ServiceUnreachable) as info,
    ):
        client.request_serial(FIELDS)
    assert info.value.maybe_committed is True


def test_connection_dropped_before_the_body_arrived_is_not_committed(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    with path.open("wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(16 * MB)

    def handler(req: Req) -> None:
        req.conn.close()  # after the headers, before the body

    with serve(handler) as base, _client(base) as client:
        client.session.token()
        with pytest.raises(ServiceUnreachable) as info:
            client.upload(path)
    assert info.value.maybe_committed is False


def test_nothing_listening_is_not_committed() -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with _client(f"http://127.0.0.1:{port}") as client, pytest.raises(ServiceUnreachable) as info:
        client.login("demo", "pw")
    assert info.value.maybe_committed is False


def test_concurrent_calls_share_one_client() -> None:
    def handler(req: Req) -> None:
        req.body()
        time.sleep(0.05)
        req.reply(200, {"status": "00", "result": {"saldo": 3, "notstamp": 0}})

    with serve(handler) as base, _client(base) as client:
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda: results.append(client.balance().saldo))
            for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert results == [3] * 8
