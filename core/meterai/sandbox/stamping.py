"""The signing adapter's CPU work for one stamp, on the calling thread or in worker processes.

Reading an upload as the adapter does (:mod:`meterai.sandbox.rules`) and signing it
(:mod:`meterai.sandbox.signer`) is pure Python (pyHanko, asn1crypto) and holds the
GIL: on threads, eight stamps in flight queue behind one signer, and they take the
event loop's GIL with them. With ``processes`` > 0 each stamp goes to a pool of
worker processes, which sign side by side on every core while the event loop keeps
answering (the QR specimen a purchase answers with is drawn there too, and its
PNG goes with the stamp's order, so a worker that did not draw it reads it back); the
ledger, the share and the serial-number locks stay in the server, so the answers
and faults are the same either way. The pool is started with ``spawn``
(the server has threads; ``fork`` would copy their locks), and the server's start
waits until every worker is ready.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace

from meterai.sandbox import rules
from meterai.sandbox.pki import Material
from meterai.sandbox.signer import STAMP_PX, Placement, StampSigner
from meterai.specimen import adopt_png, specimen_png

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StampOrder:
    """What the stamping call asks for, once its fields are checked: the uploaded bytes,
    the SN, the 1-based page as asked (clamped once the page count is known), the box."""

    data: bytes
    sn: str
    page: int
    box: tuple[float, float, float, float]
    reason: str
    location: str
    specimen: bytes = b""
    """The serial number's specimen PNG as the purchase answered it, when this server
    still has it: a worker that did not draw it reads it back instead of drawing it."""


def stamp_document(signer: StampSigner, order: StampOrder) -> bytes | rules.Rejection:
    """The signed bytes, or the adapter's refusal: its reading rules, then any signing
    failure as code 92 (as the adapter reports it)."""
    prepared = rules.prepare(order.data)
    if isinstance(prepared, rules.Rejection):
        return prepared
    placement = Placement(min(max(order.page, 1), prepared.page_count) - 1, order.box)
    try:
        return signer.sign(prepared.data, order.sn, placement, order.reason, order.location)
    except Exception as exc:  # the adapter reports any signing failure as 92
        return rules.Rejection("92", f"Internal error: {exc}")


_SPECIMENS_KEPT = 256
"""Purchases whose picture the server keeps for their stamp: more than a kiosk's
purchases in flight; an older stamp's worker draws the picture again."""

_worker_signer: StampSigner | None = None
"""A worker process's signer: its key loaded and placeholder sized once, at its start."""


def _start_worker(material: Material) -> None:
    global _worker_signer
    _worker_signer = StampSigner(material)
    _ = _worker_signer.bytes_reserved  # sized now, not on the first customer's stamp


def _stamp_in_worker(order: StampOrder) -> bytes | rules.Rejection:
    assert _worker_signer is not None, "worker started without its signer"
    if order.specimen:
        adopt_png(STAMP_PX, order.sn, order.specimen)
    return stamp_document(_worker_signer, order)


def _ready() -> int:
    """A warm-up task: holds its worker a moment, so the next one reaches another."""
    time.sleep(0.05)
    return os.getpid()


class Stamper:
    """Signs stamp orders: inline with ``processes=0``, else in that many processes."""

    def __init__(self, material: Material, processes: int = 0) -> None:
        self.material = material
        self.processes = processes
        self.signer = StampSigner(material)
        self._pool: ProcessPoolExecutor | None = None
        self._guard = threading.Lock()
        self._specimens: OrderedDict[str, bytes] = OrderedDict()

    def start(self, timeout: float = 60.0) -> None:
        """Start the workers and wait until each has imported pyHanko and loaded the key
        (about a second, side by side), so no customer's stamp waits for that. Workers
        that cannot start are not waited for on every stamp: it signs on threads."""
        if self.processes <= 0:
            return
        pool = self._new_pool()
        ready: set[int] = set()
        deadline = time.monotonic() + timeout
        try:
            while len(ready) < self.processes and time.monotonic() < deadline:
                warm = [pool.submit(_ready) for _ in range(self.processes)]
                ready.update(f.result(max(0.0, deadline - time.monotonic())) for f in warm)
        except (BrokenProcessPool, TimeoutError) as exc:
            log.warning("signing workers did not start (%r): signing on threads", exc)
            self.processes = 0
            self._drop(pool)

    def _new_pool(self) -> ProcessPoolExecutor:
        with self._guard:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self.material,),
                )
            return self._pool

    def stamp(self, order: StampOrder) -> bytes | rules.Rejection:
        """Blocking: call it off the event loop."""
        if self.processes <= 0:
            return stamp_document(self.signer, order)
        pool = self._new_pool()
        if not order.specimen:
            order = replace(order, specimen=self._specimen_of(order.sn))
        try:
            return pool.submit(_stamp_in_worker, order).result()
        except BrokenProcessPool as exc:  # a worker died: this stamp fails as 92, the next
            log.warning("signing worker lost: %s", exc)  # gets a fresh pool
            self._drop(pool)
            return rules.Rejection("92", f"Internal error: {exc}")

    def specimen(self, sn: str, size_px: int = 300) -> bytes:
        """The serial number's specimen as PNG, for the purchase's answer: a QR code and
        a PNG encoding, milliseconds of the GIL, drawn by a worker when there are some.
        The stamp is bought already, so a lost worker must not cost the answer: then
        it is drawn here."""
        if self.processes > 0:
            pool = self._new_pool()
            try:
                png = pool.submit(specimen_png, size_px, sn).result()
            except BrokenProcessPool as exc:
                log.warning("signing worker lost: %s", exc)
                self._drop(pool)
            else:
                if size_px == STAMP_PX:
                    self._keep_specimen(sn, png)
                return png
        return specimen_png(size_px, sn)

    def _keep_specimen(self, sn: str, png: bytes) -> None:
        """The last purchases' pictures, for their stamps (a few MB at most)."""
        with self._guard:
            self._specimens[sn] = png
            while len(self._specimens) > _SPECIMENS_KEPT:
                self._specimens.popitem(last=False)

    def _specimen_of(self, sn: str) -> bytes:
        with self._guard:
            return self._specimens.get(sn, b"")

    def workers(self) -> tuple[int, ...]:
        """The worker processes' ids (none when signing inline or not yet started)."""
        with self._guard:
            processes = dict(self._pool._processes or {}) if self._pool is not None else {}
        return tuple(processes)

    def _drop(self, pool: ProcessPoolExecutor) -> None:
        with self._guard:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
