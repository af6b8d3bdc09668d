"""A scriptable in-memory provider for the client's error-mapping tests (MockTransport only)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from meterai.provider import ProviderClient

BASE_URLS = {
    "backendservice": "https://backendservice.test",
    "stampv2": "https://stampv2.test",
    "fileupload": "https://fileupload.test",
    "stampservice": "https://stampservice.test",
}

Handler = Callable[[httpx.Request], httpx.Response]


def ok(**body: Any) -> httpx.Response:
    return httpx.Response(200, json={"statusCode": "00", **body})


class FakeProvider:
    """Answers login itself; every other path is answered by ``routes`` (or 404)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.logins = 0
        self.token = "tok-1"
        self.valid: set[str] = set()
        self.routes: dict[tuple[str, str], Handler] = {}
        self.seen: list[httpx.Request] = []
        self.login_delay = 0.0
        self.password = "secret"

    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.routes[(method, path)] = fn
            return fn

        return register

    def expire_all(self) -> None:
        with self.lock:
            self.valid.clear()

    def authorised(self, request: httpx.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.valid

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.seen.append(request)
        if request.url.path == "/api/users/login":
            return self._login(request)
        if not self.authorised(request):
            return httpx.Response(200, json={"statusCode": "01", "message": "token expired"})
        handler = self.routes.get((request.method, request.url.path))
        if handler is None:
            return httpx.Response(404, json={"statusCode": "404"})
        return handler(request)

    def _login(self, request: httpx.Request) -> httpx.Response:
        import time

        body = json.loads(request.content)
        if body.get("password") != self.password:
            return httpx.Response(200, json={"statusCode": "02", "message": "salah"})
        time.sleep(self.login_delay)
        with self.lock:
            self.logins += 1
            token = f"eyJhbGciOi.eyJzdWIi{self.logins}.sig{self.logins}"
            self.valid.add(token)
        user = {"id": "u-1", "firstName": "Demo"}
        return httpx.Response(
            200,
            json={
                "statusCode": "00",
                "token": token,
                "result": {"data": {"login": {"user": user}}},
            },
        )


@pytest.fixture
def fake() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def client(fake: FakeProvider) -> Iterator[ProviderClient]:
    with ProviderClient(
        BASE_URLS,
        credentials=lambda: ("demo", "secret"),
        transport=httpx.MockTransport(fake),
        clock=lambda: 1_700_000_000.0,
    ) as c:
        yield c
