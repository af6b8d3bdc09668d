"""A kiosk running on a thread, and files written into its inbox as scanners and USB sticks do."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from meterai.balance import LowBalance
from meterai.kiosk import Kiosk
from meterai.kiosk.settle import SettleRules
from meterai.kiosk.taking import KioskEvent
from meterai.outbox import Outbox, State
from meterai.outbox.store import RequestRow
from meterai.settings import Paths
from tests.support.pdfs import make_pdf

# Short enough for CI, long enough that the writer's pauses inside one file are longer.
RULES = SettleRules(settle=0.5, grace=0.1, stale=30.0)


def pdf_bytes(folder: Path, label: str, *, image_bytes: int = 12_000) -> bytes:
    """A distinct, valid one-page PDF 1.7 (no fix needed, so the stored sha256 is the file's)."""
    path = make_pdf(folder / f"{label}.pdf", image_bytes=image_bytes)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.docinfo["/Title"] = label
        pdf.save(path, force_version="1.7", fix_metadata_version=False)
    return path.read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def slow_write(dest: Path, data: bytes, *, chunk: int = 4096, pause: float = 0.01) -> None:
    """Copy as a slow USB stick or network share does: one open, chunks, one close."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("wb") as fh:
        for i in range(0, len(data), chunk):
            fh.write(data[i : i + chunk])
            fh.flush()
            time.sleep(pause)


@dataclass
class Running:
    kiosk: Kiosk
    paths: Paths
    inbox: Path
    outbox: Path
    rejected: Path
    events: list[KioskEvent | LowBalance] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def shut_down(self) -> None:
        """Stop the kiosk (its runner frees the data folder's sync lock)."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(30)

    def rows(self) -> list[RequestRow]:
        box = Outbox.open(self.paths, check_integrity=False)
        try:
            return box.requests()
        finally:
            box.close()

    def wait_until(self, check: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.1)
        raise AssertionError(
            f"timed out; rows: {[(r.id, r.state, r.last_error) for r in self.rows()]}"
        )

    def wait_done(self, count: int, timeout: float = 60.0) -> list[RequestRow]:
        def done() -> bool:
            rows = self.rows()
            return len(rows) >= count and all(r.state == State.DONE for r in rows)

        self.wait_until(done, timeout)
        return self.rows()
