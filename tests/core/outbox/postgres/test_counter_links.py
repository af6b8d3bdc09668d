"""What a counter's sync run holds open beyond its outbox: the listener and the token
share, on as few server sessions as they need (each costs the server a process)."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.connect import APPLICATION_NAME, DatabaseUnavailable
from meterai.outbox.postgres.shared import CounterLinks
from meterai.outbox.postgres.wakeups import notify
from meterai.provider.schemas import LoginResult


def _sessions(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = %s AND pid != pg_backend_pid()",
        [APPLICATION_NAME],
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_the_servers_check_is_the_listeners_connection(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection that checks the server is the listener's: a start made four (a
    check, the listener, and the token share's two: one holds the login's lock while
    the start-up calls read the token), now three."""
    made: list[str] = []
    real = psycopg.Connection.connect.__func__  # type: ignore[attr-defined]

    def counted(cls: Any, *args: Any, **kwargs: Any) -> Any:
        made.append(threading.current_thread().name)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "connect", classmethod(counted))
    monkeypatch.setattr(psycopg, "connect", lambda *a, **k: counted(psycopg.Connection, *a, **k))
    woken = threading.Event()
    links = CounterLinks(db_url, woken.set)
    try:
        share = links.token_share("https://provider.example", "demo")

        def slow_login() -> LoginResult:
            time.sleep(0.5)
            return LoginResult("t0k3n", "1", "Demo")

        with ThreadPoolExecutor(4) as workers:
            logging_in = workers.submit(share.refresh, None, slow_login)
            time.sleep(0.1)  # the login holds the share's connection
            reads = list(workers.map(lambda _n: share.current(), range(3)))
        assert logging_in.result().token == "t0k3n"
        assert len(reads) == 3
        assert len(made) == 3
        assert _sessions(conn) == 3
        notify(conn, "queued:1")
        assert woken.wait(5)  # the first connection is the one listening
    finally:
        links.close()


def test_a_refused_password_is_said_at_once(
    db_url: DatabaseUrl, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD")
    monkeypatch.setenv("PGPASSFILE", os.devnull)
    with pytest.raises(DatabaseUnavailable) as caught:
        CounterLinks(db_url, lambda: None)
    assert "password" in str(caught.value)


def test_the_first_counter_on_a_new_database_reads_the_token_share(pg_url: str) -> None:
    """Escaped bug: ``sync`` on a database no counter had used yet stopped with a
    traceback (``relation "tokens" does not exist``): the start-up calls asked the token
    share before any worker thread had opened the outbox, which creates the tables."""
    links = CounterLinks(DatabaseUrl.parse(pg_url), lambda: None)
    try:
        share = links.token_share("https://provider.example", "demo")
        assert share.current() is None
        fresh = share.refresh(None, lambda: LoginResult("t0k3n", "1", "Demo"))
        assert fresh.token == "t0k3n"
        assert share.logins() == 1
    finally:
        links.close()
