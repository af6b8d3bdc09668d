"""The bearer token, shared by every worker thread, refreshed by exactly one of them.

When the token expires, all requests in flight get ``01`` at about the same
time. Logging in once per request would hammer the login endpoint and can lock
the account after a password change; so the first thread to notice logs in and
the others wait for its result (a success *or* a failure: a wrong password is
tried once, not once per thread).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol, TypeVar

from meterai.errors import AuthExpired
from meterai.provider.redact import LOGGER
from meterai.provider.schemas import LoginResult

T = TypeVar("T")


class TokenShare(Protocol):
    """Where processes that use one account keep its token, so N of them log in once.

    ``refresh`` runs ``login`` only if the shared token is still ``stale`` (or there is
    none), and lets one process at a time decide that (see ``outbox.postgres.tokens``).
    """

    def current(self) -> LoginResult | None: ...

    def refresh(self, stale: str | None, login: Callable[[], LoginResult]) -> LoginResult: ...


class Session:
    def __init__(self, login: Callable[[], LoginResult], share: TokenShare | None = None) -> None:
        self._login = login
        self._share = share
        self._lock = threading.Lock()
        self._current: LoginResult | None = None
        self._flight: Future[LoginResult] | None = None
        self.logins = 0
        """How many times this session called the login endpoint (for tests and diagnostics)."""

    def __repr__(self) -> str:
        user = self._current.user_id if self._current else None
        return f"<Session user_id={user!r} logged_in={self._current is not None}>"

    @property
    def user(self) -> LoginResult | None:
        return self._current

    def token(self) -> str:
        """The current token, logging in first when there is none yet."""
        current = self._current
        if current is not None:
            return current.token
        shared = self._share.current() if self._share is not None else None
        if shared is not None:
            with self._lock:
                self._current = self._current or shared
                return self._current.token
        return self.refresh(None)

    def refresh(self, stale: str | None) -> str:
        """A token other than ``stale``: someone else's fresh one, or one we log in for."""
        with self._lock:
            current = self._current
            if current is not None and current.token != stale:
                return current.token
            flight = self._flight
            leader = flight is None
            if flight is None:
                flight = self._flight = Future()
        if not leader:
            return flight.result().token
        try:
            if self._share is not None:
                result = self._share.refresh(stale, self._counted_login)
            else:
                result = self._counted_login()
        except BaseException as exc:
            with self._lock:
                self._flight = None
            flight.set_exception(exc)
            raise
        with self._lock:
            self._current = result
            self._flight = None
        flight.set_result(result)
        return result.token

    def _counted_login(self) -> LoginResult:
        LOGGER.info("logging in to the stamping service")
        self.logins += 1
        return self._login()

    def forget(self) -> None:
        with self._lock:
            self._current = None

    def call(self, fn: Callable[[str], T]) -> T:
        """Run ``fn(token)``; on an expired token log in again (single flight) and retry once."""
        token = self.token()
        try:
            return fn(token)
        except AuthExpired:
            LOGGER.info("token rejected; logging in again once")
        return fn(self.refresh(token))
