"""Background work for the GUI, results delivered on the GUI thread (Anki's taskman idea).

Database work runs on ONE worker thread that owns its own outbox connection (SQLite
connections are per thread); network and PDF work run on a small pool. A result or
an exception comes back through a queued signal to a callback on the GUI thread, so
widgets are never touched from a worker.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot
from shiboken6 import isValid

from meterai.settings import Paths

if TYPE_CHECKING:
    from meterai.outbox.store import Outbox

T = TypeVar("T")

GIL_SWITCH_INTERVAL = 0.002
"""Seconds a Python thread may keep the GIL while another waits (CPython's default: 0.005).

The sync runner verifies stamped PDFs with pyHanko, pure-Python parsing that holds the
GIL in long runs; with the default interval and two such threads the GUI thread
waited 100 to 150 ms for its turn on a busy two-core machine. A shorter interval
costs the workers a little throughput and keeps the window responsive.
"""


def share_the_gil_fairly() -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)


log = logging.getLogger(__name__)

# The callback gets what the task returned: typed per call, so mypy checks each slot
# against its task (a Signal carries the pair across threads as plain objects).
OnDone = Callable[[T], object]
OnError = Callable[[BaseException], None]


def _started_pool(workers: int, prefix: str) -> ThreadPoolExecutor:
    """A pool whose threads all run before its first task, so ``submit`` never starts one.

    ``ThreadPoolExecutor`` starts a thread inside ``submit`` whenever none is idle, and
    ``Thread.start()`` waits until the new thread has run, which needs the scheduler and
    then the GIL: on a loaded machine, with a worker busy in pure Python, that wait held
    the GUI thread for 350 ms. Started here, where the window is not shown yet.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=prefix)
    all_up = threading.Barrier(workers + 1)
    for _ in range(workers):
        pool.submit(all_up.wait)
    all_up.wait()
    return pool


class TaskRunner(QObject):
    _finished = Signal(object)

    def __init__(self, paths: Paths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self._db = _started_pool(1, "meterai-db")
        self._pool = _started_pool(4, "meterai-work")
        self._local = threading.local()
        self._finished.connect(self._deliver)
        self._pending = 0
        self._closed = False

    def db(
        self,
        fn: Callable[[Outbox], T],
        on_done: OnDone[T] | None = None,
        on_error: OnError | None = None,
        *,
        owner: QObject | None = None,
    ) -> Future[T]:
        """Run ``fn(outbox)`` on the database thread, with that thread's own connection.

        With ``owner``, the callbacks are dropped if the owner is deleted meanwhile (a
        dialog closed before its answer came).
        """
        return self._submit(self._db, lambda: fn(self._outbox()), on_done, on_error, owner)

    def run(
        self,
        fn: Callable[[], T],
        on_done: OnDone[T] | None = None,
        on_error: OnError | None = None,
        *,
        owner: QObject | None = None,
    ) -> Future[T]:
        """Run ``fn()`` on the work pool (PDF rendering, pre-flight, network)."""
        return self._submit(self._pool, fn, on_done, on_error, owner)

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._db.submit(self._close_outbox).result()
        self._db.shutdown(wait=True)
        # Deliver (and so drop) the results still queued for us: left in Qt's event queue
        # until the application is destroyed at exit, their Python payloads make PySide6
        # abort during interpreter finalization.
        QCoreApplication.sendPostedEvents(self, 0)

    def _submit(
        self,
        executor: ThreadPoolExecutor,
        fn: Callable[[], T],
        on_done: OnDone[T] | None,
        on_error: OnError | None,
        owner: QObject | None = None,
    ) -> Future[T]:
        if self._closed:
            # A timer or a late signal after the window closed: nothing is left to serve it.
            late: Future[T] = Future()
            late.cancel()
            return late
        self._pending += 1
        future = executor.submit(fn)
        future.add_done_callback(lambda f: self._finished.emit((f, on_done, on_error, owner)))
        return future

    def _outbox(self) -> Outbox:
        box: Outbox | None = getattr(self._local, "outbox", None)
        if box is None:
            from meterai.outbox.store import Outbox  # on the worker: sqlite3 stays off start-up

            box = Outbox.open(self.paths)
            self._local.outbox = box
        return box

    def _close_outbox(self) -> None:
        box: Outbox | None = getattr(self._local, "outbox", None)
        if box is not None:
            box.close()
            self._local.outbox = None

    @Slot(object)
    def _deliver(
        self, payload: tuple[Future[Any], OnDone[Any] | None, OnError | None, QObject | None]
    ) -> None:
        future, on_done, on_error, owner = payload
        self._pending -= 1
        # A closed runner's window is gone, and so may be the widgets its callbacks touch.
        if future.cancelled() or self._closed or (owner is not None and not isValid(owner)):
            return
        exc = future.exception()
        if exc is not None:
            if on_error is not None:
                on_error(exc)
            else:
                log.error("background task failed", exc_info=exc)
            return
        if on_done is not None:
            on_done(future.result())
