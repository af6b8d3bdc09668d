"""The kiosk service against the real sandbox: an outage mid-run, the outbox made first."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from meterai.kiosk import Kiosk, KioskConfig
from meterai.outbox import State
from meterai.settings import Paths, load_settings
from meterai.sync.runner import SyncRunner
from tests.support.kiosk import Running, pdf_bytes, slow_write
from tests.support.sandbox import Admin


def test_an_outage_mid_run_ends_with_every_document_done_once(
    running_kiosk: Callable[..., Running], admin: Admin, tmp_path: Path
) -> None:
    kiosk = running_kiosk(concurrency=4)
    docs = [pdf_bytes(tmp_path, f"o-{i}") for i in range(24)]
    for i, data in enumerate(docs[:8]):
        slow_write(kiosk.inbox / "budi" / f"o-{i}.pdf", data)
    kiosk.wait_until(lambda: len(kiosk.rows()) >= 4)
    admin.faults(
        {
            "seed": 5,
            "rules": [
                {"endpoint": "stampv2", "fault": "drop_before_commit", "probability": 0.5},
                {"endpoint": "*", "fault": "http_error", "status": 503, "probability": 0.7},
            ],
        }
    )
    for i, data in enumerate(docs[8:], start=8):
        slow_write(kiosk.inbox / "siti" / f"o-{i}.pdf", data)
    kiosk.wait_until(lambda: len(kiosk.rows()) == 24)
    admin.faults({"rules": [{"endpoint": "*", "fault": "http_error", "status": 503}]})
    kiosk.wait_until(lambda: kiosk.kiosk.runner._online is False, 20)
    admin.faults({})
    rows = kiosk.wait_done(24, timeout=90)

    serials = admin.serials()
    assert len(serials) == 24
    assert all(s["stamp_count"] == 1 for s in serials)
    assert {r.sn for r in rows} == {s["sn"] for s in serials}
    assert {r.state for r in rows} == {State.DONE}


def test_the_kiosk_creates_the_outbox_before_its_runner_connects(
    kiosk_paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Escaped under load: on a fresh data folder the runner's first connection raced the
    kiosk's to switch the new outbox to WAL, lost ("database is locked") and stopped,
    while the kiosk went on taking files that were then never stamped."""
    modes: list[str | None] = []

    def start(_runner: SyncRunner) -> None:
        database = kiosk_paths.database
        if not database.exists():
            modes.append(None)
            return
        conn = sqlite3.connect(database)
        try:
            modes.append(conn.execute("PRAGMA journal_mode").fetchone()[0])
        finally:
            conn.close()

    monkeypatch.setattr(SyncRunner, "start", start)
    folders = (tmp_path / "inbox", tmp_path / "outbox", tmp_path / "rejected")
    kiosk = Kiosk(kiosk_paths, load_settings(kiosk_paths), KioskConfig(*folders))
    kiosk.start()
    kiosk.stop()
    assert modes == ["wal"]
