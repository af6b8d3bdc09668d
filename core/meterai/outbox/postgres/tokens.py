"""One login per account across counters: the token lives in the shared database.

When the token expires, every counter's requests get ``01`` at about the same time;
each process already lets one of its threads log in (``provider.session``), and this
makes one *process* do it. The refresher takes a session-level advisory lock named
after the account, reads the stored token, and logs in only if that token is still the
one the provider refused (or there is none): the others wait on the lock and then find
the fresh token. The lock is held on a connection with no transaction open, so the
login call is never made inside a database transaction, and a counter that dies while
holding it loses the connection and with it the lock.

The token is a credential: it is kept in the database the counters already trust
with the customers' documents, never in a file or a log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
import psycopg_pool

from meterai.provider.schemas import LoginResult


def account_key(login_url: str, user: str) -> str:
    """Which account a token belongs to: the provider's login service and the user name."""
    return f"{login_url.rstrip('/')}|{user}"


class SharedToken:
    """A ``provider.session.TokenShare`` kept in the ``tokens`` table."""

    def __init__(
        self,
        pool: psycopg_pool.ConnectionPool,
        account: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._pool = pool
        self._account = account
        self._clock = clock

    def current(self) -> LoginResult | None:
        with self._pool.connection() as conn:
            return self._read(conn)

    def refresh(self, stale: str | None, login: Callable[[], LoginResult]) -> LoginResult:
        with self._pool.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [self._account])
            try:
                stored = self._read(conn)
                if stored is not None and stored.token != stale:
                    return stored  # another counter logged in while we waited
                fresh = login()
                self._store(conn, fresh)
                return fresh
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [self._account])

    def logins(self) -> int:
        """How many logins all counters made for this account through the share."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT logins FROM tokens WHERE account = %s", [self._account]
            ).fetchone()
        return int(row[0]) if row else 0

    def _read(self, conn: psycopg.Connection[Any]) -> LoginResult | None:
        row = conn.execute(
            "SELECT token, user_id, first_name FROM tokens WHERE account = %s", [self._account]
        ).fetchone()
        return None if row is None else LoginResult(str(row[0]), str(row[1]), str(row[2]))

    def _store(self, conn: psycopg.Connection[Any], fresh: LoginResult) -> None:
        conn.execute(
            "INSERT INTO tokens (account, token, user_id, first_name, fetched_at, logins)"
            " VALUES (%s, %s, %s, %s, %s, 1) ON CONFLICT (account) DO UPDATE SET"
            " token = excluded.token, user_id = excluded.user_id,"
            " first_name = excluded.first_name, fetched_at = excluded.fetched_at,"
            " logins = tokens.logins + 1",
            [self._account, fresh.token, fresh.user_id, fresh.first_name, self._clock()],
        )
