"""Single-flight token refresh: one login however many threads see the token expire."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest

from meterai.errors import AuthExpired, AuthFailed
from meterai.provider import LoginResult, ProviderClient, Session
from meterai.provider import session as session_module

from .conftest import FakeProvider, ok

THREADS = 8
WAIT = 30.0
"""A bound for waits that only a broken session or a hung thread reaches."""


def _balance_route(fake: FakeProvider) -> None:
    fake.route("POST", "/function/saldopos")(lambda r: ok(result={"saldo": 5, "notstamp": 0}))


def _run_together(fn, n: int = THREADS) -> list[object]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(n)

    def task() -> object:
        barrier.wait()
        return fn()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: task(), range(n)))


def test_first_use_logs_in_once_for_many_threads(
    fake: FakeProvider, client: ProviderClient
) -> None:
    _balance_route(fake)
    fake.login_delay = 0.2
    results = _run_together(client.balance)
    assert all(r.saldo == 5 for r in results)  # type: ignore[attr-defined]
    assert fake.logins == 1


def test_expiry_seen_by_many_threads_refreshes_once(
    fake: FakeProvider, client: ProviderClient
) -> None:
    _balance_route(fake)
    client.balance()
    fake.expire_all()
    fake.login_delay = 0.2
    results = _run_together(client.balance)
    assert len(results) == THREADS
    assert fake.logins == 2
    assert client.session.logins == 2


def test_a_refused_login_is_shared_not_repeated_per_thread(
    fake: FakeProvider, client: ProviderClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _balance_route(fake)
    fake.password = "changed"
    gate = threading.Event()
    arrived = threading.Semaphore(0)
    """One release per thread that logs in or waits for another's login."""
    calls = []
    original = client.login

    class SharedFlight(Future[LoginResult]):
        def result(self, timeout: float | None = None) -> LoginResult:
            arrived.release()
            return super().result(timeout)

    def slow_login(user: str, password: str) -> LoginResult:
        calls.append(user)
        arrived.release()
        gate.wait(WAIT)
        return original(user, password)

    monkeypatch.setattr(session_module, "Future", SharedFlight)
    client.login = slow_login  # type: ignore[method-assign]
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            client.balance()
        except AuthFailed as exc:
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(THREADS)]
    for t in threads:
        t.start()
    # The login answers once every thread is in it or waits for it, however late a
    # loaded machine starts them (a fixed 0.2 s let a late thread log in again).
    for _ in threads:
        assert arrived.acquire(timeout=WAIT), "a thread neither logged in nor waited"
    gate.set()
    for t in threads:
        t.join(WAIT)
    assert len(errors) == THREADS
    assert len(calls) == 1


def test_session_retries_exactly_once() -> None:
    tokens = iter(["a", "b", "c"])
    session = Session(lambda: LoginResult(token=next(tokens), user_id="u", first_name=""))
    seen: list[str] = []

    def always_expired(token: str) -> None:
        seen.append(token)
        raise AuthExpired()

    with pytest.raises(AuthExpired):
        session.call(always_expired)
    assert seen == ["a", "b"]
    assert session.logins == 2


def test_token_never_appears_in_reprs(fake: FakeProvider, client: ProviderClient) -> None:
    _balance_route(fake)
    client.balance()
    user = client.session.user
    assert user is not None
    assert user.token not in repr(user)
    assert user.token not in repr(client.session)


def test_client_without_credentials_can_still_log_in_explicitly() -> None:
    fake = FakeProvider()
    from .conftest import BASE_URLS

    with ProviderClient(BASE_URLS, transport=httpx.MockTransport(fake)) as c:
        assert c.login("demo", "secret").user_id == "u-1"
        with pytest.raises(ValueError, match="credentials"):
            c.balance()
