"""A real inbox in a temp dir, a real sandbox over HTTPS, and a kiosk running on a thread."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from meterai.kiosk import Kiosk, KioskConfig
from meterai.kiosk.folder import FolderDefaults
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, load_settings, resolve_paths
from tests.support.kiosk import RULES, Running
from tests.support.sandbox import FAST, Admin, admin, point_at, provider

__all__ = ["admin", "provider"]


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
