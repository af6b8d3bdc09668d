"""Where a batch's files are read: worker processes on every core, or one thread.

``intake.queue_files`` reads the next files of a batch (pre-flight, fixes, placement,
PDFium drawing what lies under the stamp) while it copies the current one in. The
reading is CPU: pypdf and our own code hold the GIL, and PDFium is not thread-safe
(``overlap._PDFIUM``), so a second reading *thread* would only wait. A worker *process*
has its own interpreter and its own PDFium: with one per core, the reading of a batch
runs beside the copying instead of behind it.

The workers are forked, so they start with everything already imported (a spawned
worker imports pypdf, pikepdf and PDFium again, about half a second, more than a
batch of 200 files gains). Forking copies only the thread that forks and whatever
locks the others hold, so it is used only where it is the platform's own way (Linux)
and from the one caller that runs it with no other thread in PDFium or the outbox
(the CLI's ``add`` of several files). Elsewhere, and for a single file, the batch
reads on one thread as before. A worker that dies (killed, out of memory) costs only
speed: what it was reading is read again on the calling thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

LOOKAHEAD_PER_WORKER = 2
"""Files read ahead of the one being copied in, per reader: enough to keep each busy,
few enough that a batch holds few fixed copies at once."""
KEPT_BLOCK_BYTES = 32 << 20
"""Blocks up to this size come from (and go back to) a worker's heap, not the kernel."""
KEPT_FREE_BYTES = 256 << 20
"""Freed memory a worker keeps for the next file instead of handing it back."""
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters


def reader_count(files: int) -> int:
    """How many worker processes read a batch of ``files``: 0 means one thread instead."""
    cores = os.cpu_count() or 1
    if files < 2 or cores < 2 or not sys.platform.startswith("linux"):
        return 0
    return min(cores, files)


@contextlib.contextmanager
def readers(files: int) -> Iterator[tuple[Executor, int]]:
    """The executor a batch of ``files`` reads on, and how far ahead to read; shut down
    (its workers gone) when the block ends, whatever ended it."""
    workers = reader_count(files)
    executor: Executor
    if workers:
        executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
        )
    else:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="meterai-look")
    try:
        if workers:
            _start(executor)
        yield executor, LOOKAHEAD_PER_WORKER * max(workers, 1)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _start(executor: Executor) -> None:
    """Fork every worker and start the pool's own thread now, with Ctrl+C held back.

    The pool forks its workers on the first task and only then starts the thread that
    later tells them to stop: a Ctrl+C between the two left workers no one would stop,
    and the CLI hung at exit waiting for them (found by the Ctrl+C test). Held back
    here, the interrupt is raised once the pool is whole, and its shutdown ends them.
    """
    with _interrupt_held():
        executor.submit(int).result()


@contextlib.contextmanager
def _interrupt_held() -> Iterator[None]:
    """Ctrl+C in the block is noted, and raised (by the handler it would have met) after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; the signal goes to it anyway
        return
    noted: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: noted.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if noted and callable(previous):
        previous(signal.SIGINT, None)


def _start_worker() -> None:
    """Ctrl+C reaches the whole process group: the CLI stops the batch and says so once
    (its outbox intact), and its workers finish the file in hand instead of printing a
    traceback each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keep_freed_memory()


def keep_freed_memory() -> None:
    """In a worker: keep freed memory for the next file rather than return it to the kernel.

    Drawing a page makes PDFium allocate a few blocks the size of its largest picture
    (the stream, the decoded pixels, a copy of them). glibc maps blocks that large
    straight from the kernel and unmaps them on free, so every file's blocks are
    faulted in and zeroed afresh: 40% of the CPU of checking a scan's box. A worker
    lives only as long as its batch, so what it keeps is given back when the batch
    ends. Not glibc (no ``mallopt``): nothing to do.
    """
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, KEPT_BLOCK_BYTES)
        mallopt(_M_TRIM_THRESHOLD, KEPT_FREE_BYTES)
