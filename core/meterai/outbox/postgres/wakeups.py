"""Counters wake each other with LISTEN/NOTIFY; a slow poll covers anything missed.

A notification sent inside a transaction is delivered when it commits, so a counter is
never woken for a request it cannot see yet. Notifications are not stored: one sent
while a listener was reconnecting is lost, which is why the listener also wakes its
owner after every reconnect and every ``poll`` seconds.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg

from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.connect import connect

CHANNEL = "meterai_outbox"
POLL_SECONDS = 30.0

LOGGER = logging.getLogger("meterai.outbox.postgres")


def notify(conn: psycopg.Connection[Any], payload: str) -> None:
    """Wake every listening counter (at commit when ``conn`` is in a transaction)."""
    conn.execute("SELECT pg_notify(%s, %s)", [CHANNEL, payload])


class Listener:
    """A thread holding one connection that LISTENs, calling ``on_wake(reason)``.

    ``reason`` is the notification's payload (``queued:<id>``, ``released:<id>``), or
    ``poll`` / ``reconnected`` for the fallback wake-ups.

    The thread sleeps in one ``select`` on its connection's socket and on a socket pair
    that ``stop`` writes to, so it wakes only for a notification, the poll or the stop.
    It used to ask psycopg for notifications every 50 ms to see its stop flag soon
    (``sync --once`` joins it at its exit): some 1% of a core per counter for nothing,
    6% of a counter's samples under ``bench/counters.py``.
    """

    def __init__(
        self,
        url: DatabaseUrl,
        on_wake: Callable[[str], None],
        *,
        poll: float = POLL_SECONDS,
        connect_to: Callable[[DatabaseUrl], psycopg.Connection[Any]] = connect,
    ) -> None:
        self._url = url
        self._on_wake = on_wake
        self._poll = poll
        self._connect = connect_to
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._stop_in, self._stop_out = socket.socketpair()
        self._thread = threading.Thread(target=self._run, name="meterai-listen", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        """Start listening; returns once the LISTEN is in place (or after ``timeout``)."""
        self.begin()
        self.ready(timeout)

    def begin(self) -> None:
        """Start the thread without waiting: its connection is made while the caller
        does its own start-up (``ready`` then waits for the LISTEN)."""
        self._thread.start()

    def ready(self, timeout: float = 10.0) -> None:
        self._listening.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._stop_in.send(b"\0")
        self._thread.join(1.0)
        if not self._thread.is_alive():
            self._stop_in.close()
            self._stop_out.close()

    def _run(self) -> None:
        pause = 1.0
        first = True
        while not self._stop.is_set():
            try:
                with self._connect(self._url) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    if not first:
                        self._on_wake("reconnected")
                    first, pause = False, 1.0
                    self._listen(conn)
            except Exception as exc:  # the database went away: retry, slower each time
                LOGGER.info("listening for wake-ups failed (%s); retrying in %.0f s", exc, pause)
                self._stop.wait(pause)
                pause = min(pause * 2, self._poll)

    def _listen(self, conn: psycopg.Connection[Any]) -> None:
        """Until ``stop``: what psycopg holds already (received with a query's answer, or
        in the same packet as the last one), then sleep until the socket has more."""
        poll_at = time.monotonic() + self._poll
        with selectors.DefaultSelector() as waiting:
            waiting.register(conn.fileno(), selectors.EVENT_READ)
            waiting.register(self._stop_out, selectors.EVENT_READ)
            while not self._stop.is_set():
                for note in conn.notifies(timeout=0):
                    poll_at = time.monotonic() + self._poll
                    self._on_wake(note.payload)
                if self._stop.is_set():
                    return
                if not waiting.select(max(0.0, poll_at - time.monotonic())):
                    poll_at = time.monotonic() + self._poll
                    self._on_wake("poll")
