"""A real inbox in a temp dir, a real sandbox over HTTPS, and a kiosk running on a thread."""

from __future__ import annotations

import hashlib
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pytest

from meterai.balance import LowBalance
from meterai.kiosk import Kiosk, KioskConfig
from meterai.kiosk.folder import FolderDefaults
from meterai.kiosk.settle import SettleRules
from meterai.kiosk.taking import KioskEvent
from meterai.outbox import Outbox, State
from meterai.outbox.store import RequestRow
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, load_settings, resolve_paths
from tests.core.sync.conftest import FAST, Admin, admin, point_at, provider
from tests.pdfs import make_pdf

__all__ = ["admin", "provider"]

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


@pytest.fixture
def kiosk_paths(tmp_path: Path, provider: SandboxServer) -> Paths:
    paths = resolve_paths(tmp_path / "data")
    point_at(paths, provider)
    return paths


@pytest.fixture
def running_kiosk(
    tmp_path: Path, kiosk_paths: Paths, admin: Admin
) -> Iterator[Callable[..., Running]]:
    stops: list[tuple[threading.Event, threading.Thread]] = []
    failures: list[str] = []

    def start(*, doc_type: str | None = "3", concurrency: int = 4) -> Running:
        inbox, outbox, rejected = tmp_path / "inbox", tmp_path / "outbox", tmp_path / "rejected"
        config = KioskConfig(
            inbox=inbox,
            outbox=outbox,
            rejected=rejected,
            defaults=FolderDefaults(doc_type=doc_type),
            concurrency=concurrency,
            rules=RULES,
            rescan=0.5,
            tick=0.05,
        )
        running = Running(
            Kiosk(kiosk_paths, load_settings(kiosk_paths), config, runner_config=FAST),
            kiosk_paths,
            inbox,
            outbox,
            rejected,
        )
        running.kiosk._listener = running.events.append
        stop = running.stop

        def serve() -> None:
            try:
                running.kiosk.run(stop)
            except BaseException:
                failures.append(traceback.format_exc())
                raise

        thread = threading.Thread(target=serve, name="kiosk", daemon=True)
        running.thread = thread
        thread.start()
        stops.append((stop, thread))
        # The kiosk is up once the inbox exists and the runner has probed once.
        running.wait_until(lambda: running.kiosk.runner.balance is not None, 30)
        return running

    yield start
    for stop, thread in stops:
        stop.set()
        thread.join(30)
    assert not failures, failures[0]
