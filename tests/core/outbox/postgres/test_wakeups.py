"""LISTEN/NOTIFY wake-ups between counters, delivered at commit, with a poll fallback."""

from __future__ import annotations

import queue
from typing import Any

import psycopg
import pytest

from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.connect import connect
from meterai.outbox.postgres.wakeups import Listener, notify


def _listening(url: DatabaseUrl, *, poll: float = 60.0) -> tuple[Listener, queue.Queue[str]]:
    woken: queue.Queue[str] = queue.Queue()
    listener = Listener(url, woken.put, poll=poll)
    listener.start()
    return listener, woken


def test_a_counter_is_woken_when_another_commits(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    listener, woken = _listening(db_url)
    try:
        with conn.transaction():
            notify(conn, "queued:7")
            with pytest.raises(queue.Empty):  # nothing before the commit
                woken.get(timeout=1.0)
        assert woken.get(timeout=5) == "queued:7"
    finally:
        listener.stop()


def test_a_rolled_back_change_wakes_nobody(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    listener, woken = _listening(db_url)
    try:
        with pytest.raises(RuntimeError), conn.transaction():
            notify(conn, "queued:8")
            raise RuntimeError("the enqueue failed")
        with pytest.raises(queue.Empty):
            woken.get(timeout=1.5)
    finally:
        listener.stop()


def test_with_no_notification_the_slow_poll_still_wakes(db_url: DatabaseUrl) -> None:
    listener, woken = _listening(db_url, poll=1.0)
    try:
        assert woken.get(timeout=5) == "poll"
    finally:
        listener.stop()


def test_a_lost_connection_is_reopened_and_wakes_its_owner(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    """Notifications sent while it was away are lost: the owner must look for itself."""
    listener, woken = _listening(db_url)
    try:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE query LIKE 'LISTEN%%' AND pid != pg_backend_pid()"
        )
        assert woken.get(timeout=10) == "reconnected"
        notify(conn, "released:3")
        assert woken.get(timeout=5) == "released:3"
    finally:
        listener.stop()


def test_the_listener_stops_promptly(db_url: DatabaseUrl) -> None:
    listener, _ = _listening(db_url)
    listener.stop()
    assert not listener._thread.is_alive()


def test_connect_is_what_the_listener_uses(db_url: DatabaseUrl) -> None:
    with connect(db_url) as c:
        assert c.autocommit


def test_an_idle_listener_sleeps_until_woken(
    db_url: DatabaseUrl, conn: psycopg.Connection[Any]
) -> None:
    """It used to ask for notifications every 50 ms to see its stop flag: 20 asks a
    second per counter, about 1% of a core. Now it asks when the socket has something."""
    asked: list[float] = []

    def counted(url: DatabaseUrl) -> psycopg.Connection[Any]:
        made = connect(url)
        real = made.notifies

        def notifies(**kwargs: Any) -> Any:
            asked.append(kwargs.get("timeout", -1))
            return real(**kwargs)

        made.notifies = notifies  # type: ignore[method-assign]
        return made

    woken: queue.Queue[str] = queue.Queue()
    listener = Listener(db_url, woken.put, poll=60.0, connect_to=counted)
    listener.start()
    try:
        with pytest.raises(queue.Empty):
            woken.get(timeout=1.5)
        idle_asks = len(asked)
        notify(conn, "released:5")
        assert woken.get(timeout=5) == "released:5"
    finally:
        listener.stop()
    assert not listener._thread.is_alive()
    assert idle_asks <= 2
