"""Background work for the GUI, results delivered on the GUI thread (Anki's taskman idea).

Database work runs on ONE worker thread that owns its own outbox connection (SQLite
connections are per thread); network and PDF work run on a small pool. A result or
an exception comes back through a queued signal to a callback on the GUI thread, so
widgets are never touched from a worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

from meterai.outbox.store import Outbox
from meterai.settings import Paths

T = TypeVar("T")
log = logging.getLogger(__name__)

OnDone = Callable[[Any], None]
OnError = Callable[[BaseException], None]


class TaskRunner(QObject):
    _finished = Signal(object)

    def __init__(self, paths: Paths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="meterai-db")
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="meterai-work")
        self._local = threading.local()
        self._finished.connect(self._deliver)
        self._pending = 0

    def db(
        self,
        fn: Callable[[Outbox], T],
        on_done: OnDone | None = None,
        on_error: OnError | None = None,
    ) -> Future[T]:
        """Run ``fn(outbox)`` on the database thread, with that thread's own connection."""
        return self._submit(self._db, lambda: fn(self._outbox()), on_done, on_error)

    def run(
        self, fn: Callable[[], T], on_done: OnDone | None = None, on_error: OnError | None = None
    ) -> Future[T]:
        """Run ``fn()`` on the work pool (PDF rendering, pre-flight, network)."""
        return self._submit(self._pool, fn, on_done, on_error)

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._db.submit(self._close_outbox).result()
        self._db.shutdown(wait=True)

    def _submit(
        self,
        executor: ThreadPoolExecutor,
        fn: Callable[[], T],
        on_done: OnDone | None,
        on_error: OnError | None,
    ) -> Future[T]:
        self._pending += 1
        future = executor.submit(fn)
        future.add_done_callback(lambda f: self._finished.emit((f, on_done, on_error)))
        return future

    def _outbox(self) -> Outbox:
        box: Outbox | None = getattr(self._local, "outbox", None)
        if box is None:
            box = Outbox.open(self.paths)
            self._local.outbox = box
        return box

    def _close_outbox(self) -> None:
        box: Outbox | None = getattr(self._local, "outbox", None)
        if box is not None:
            box.close()
            self._local.outbox = None

    @Slot(object)
    def _deliver(self, payload: tuple[Future[Any], OnDone | None, OnError | None]) -> None:
        future, on_done, on_error = payload
        self._pending -= 1
        if future.cancelled():
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
