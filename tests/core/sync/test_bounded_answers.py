"""A broken or hostile provider answer is bounded: the real sandbox over HTTPS, with faults."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from meterai.outbox import Outbox, State
from meterai.provider.schemas import SERIAL_FORMAT
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, load_settings
from meterai.sync.engine import Session
from meterai.sync.runner import SyncRunner
from tests.core.sync.conftest import FAST, Admin, queue_documents


def _stored_serials(paths: Paths) -> set[str]:
    """Every serial number the outbox holds, in requests and in its own serials table."""
    with sqlite3.connect(paths.database) as conn:
        held = {r[0] for r in conn.execute("SELECT sn FROM requests WHERE sn IS NOT NULL")}
        return held | {r[0] for r in conn.execute("SELECT sn FROM serials")}


def test_a_serial_number_with_a_slash_is_refused_before_it_is_stored(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    """Escaped bug: the paid call's answer ``../../x`` was stored as the serial number."""
    admin.faults(
        {
            "rules": [
                {
                    "endpoint": "stampv2",
                    "fault": "rewrite_json",
                    "path": "result.sn",
                    "value": "../../x",
                    "count": 1,
                }
            ]
        }
    )
    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")
    SyncRunner(client_paths, load_settings(client_paths), config=FAST).run_once()
    (bought,) = admin.serials()
    box = Outbox.open(client_paths)
    try:
        row = box.get(request_id)
        journal = [entry.detail for entry in box.journal(request_id)]
    finally:
        box.close()
    # The purchase did happen: the request adopts it from the provider's list, buys nothing more.
    assert row.state == State.DONE, row.last_error
    assert row.sn == bought["sn"] and bought["stamp_count"] == 1
    assert admin.account()["spent"] == 1
    assert _stored_serials(client_paths) == {bought["sn"]}
    assert all(SERIAL_FORMAT.fullmatch(sn) for sn in _stored_serials(client_paths))
    assert any("not 22 characters" in (detail or "") for detail in journal), journal


def test_a_serial_number_list_holding_a_path_stops_purchases(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    """A list that cannot be read cannot prove that nothing was bought: buy nothing."""
    admin.faults(
        {
            "rules": [
                {
                    "endpoint": "sn-list",
                    "fault": "rewrite_json",
                    "path": "result.data",
                    "value": [{"sn": "../../x", "status": "STAMP", "nodoc": "x"}],
                }
            ]
        }
    )
    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")
    runner = SyncRunner(client_paths, load_settings(client_paths), config=FAST)
    runner.open()
    try:
        engine = runner._engine()
        engine.session = Session()
        states = [engine.step(request_id) for _ in range(4)]
        row = engine.outbox.get(request_id)
    finally:
        runner.close()
    assert states == [State.UPLOADED] * 4
    assert admin.account()["spent"] == 0
    assert "serial number" in (row.last_error or "")
    assert _stored_serials(client_paths) == set()
