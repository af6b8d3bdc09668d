"""The runner's start-up calls do not hold the first upload back (issue 19: a weak link)."""

from __future__ import annotations

import threading
from pathlib import Path

from meterai.outbox import State
from meterai.settings import Paths, load_settings
from meterai.sync.events import Connectivity, Event, StateChanged
from meterai.sync.runner import SyncRunner
from tests.support.sandbox import FAST, Admin, queue_documents

SLOW_START = 2.0
STARTUP_CALLS = ("saldopos", "jenisdoc", "sn-list")


def test_a_queued_document_uploads_while_the_start_up_calls_are_out(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    rules = [
        {"endpoint": name, "fault": "latency", "seconds": SLOW_START} for name in STARTUP_CALLS
    ]
    admin.faults({"rules": rules})
    queue_documents(client_paths, 1, tmp_path / "docs")
    seen: list[str] = []
    lock = threading.Lock()

    def events(event: Event) -> None:
        with lock:
            if isinstance(event, Connectivity) and event.online:
                seen.append("online")
            elif isinstance(event, StateChanged):
                seen.append(str(event.row.state))

    runner = SyncRunner(
        client_paths, load_settings(client_paths), concurrency=1, events=events, config=FAST
    )
    runner.run_once()

    assert seen.index(str(State.UPLOADED)) < seen.index("online"), seen
    assert seen[-1] == str(State.DONE), seen
    assert seen.index("online") < seen.index(str(State.NUMBERING)), "bought before start-up ended"
    assert [s["stamp_count"] for s in admin.serials()] == [1]
