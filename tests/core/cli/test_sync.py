"""Issue 3's acceptance through the installed ``meterai`` script, as a kiosk or a script runs it.

Every call is a real process with a real data dir, so exit codes, stdout/stderr and
the default language are what a caller sees, not what an in-process test would.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_FAILED, EXIT_PENDING
from meterai.cli.sync import JsonPrinter
from meterai.messages import Message
from meterai.outbox import Outbox, State
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, resolve_paths
from meterai.sync.events import BytesMoved
from tests.support.cli import (
    EXIT_OK,
    meterai,
    queue_good,
    run_in_process,
    status_json,
    with_reader_gone,
)
from tests.support.sandbox import Admin, admin, point_at, provider, queue_documents, row_of

__all__ = ["admin", "provider"]


def test_retry_starts_afresh_without_the_old_reason(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    """Issue 16: ``meterai retry`` kept the failed attempts' count and reason on the row it
    sent again (the app's retry cleared them), so the table showed an old failure beside
    a queued request. Both now call ``Outbox.retry``."""
    request_id = queue_good(data, home, pdfs["good"])
    box = Outbox.open(resolve_paths(data))
    try:
        box.record_failure(request_id, Message("timeout"), next_attempt_at=time.time() + 600)
        box.transition(request_id, State.NEEDS_ATTENTION, detail="gave up")
    finally:
        box.close()

    result = meterai("--data-dir", data, "retry", str(request_id), home=home)

    assert result.code == EXIT_OK, result.err
    listed = status_json(data, home)[0]
    assert (listed["state"], listed["attempts"], listed["last_error"]) == ("queued", 0, None)
    box = Outbox.open(resolve_paths(data))
    try:
        row = box.get(request_id)
    finally:
        box.close()
    assert (row.next_attempt_at, row.last_error_msg, row.reason()) == (None, None, "")


# --- sync --json, recover --json, and what sync --once's exit code says (issue 18 item 7) ---


@pytest.fixture
def client_paths(tmp_path: Path, provider: SandboxServer) -> Paths:
    paths = resolve_paths(tmp_path / "client")
    point_at(paths, provider)
    return paths


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_sync_json_prints_one_event_per_line_and_a_summary(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    [request_id] = queue_documents(client_paths, 1, tmp_path / "docs")
    code, out, _err = run_in_process(client_paths, "sync", "--once", "--json")
    events = _json_lines(out)  # every line is JSON: no words in between
    moves = [e["state"] for e in events if e["event"] == "state_changed" and e["id"] == request_id]
    assert moves[-1] == "done" and "stamped" in moves, moves
    assert events[-1] == {
        "event": "summary",
        "done": 1,
        "attention": 0,
        "needs_attention": 0,
        "waiting": 0,
        "exit_code": 0,
    }
    assert code == EXIT_OK


def test_sync_once_exits_4_while_the_provider_keeps_a_request_waiting(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    """The exit code tells a scheduler that work is left, without anyone reading the words."""
    admin.faults(
        {"rules": [{"endpoint": "stampv2", "fault": "queue", "calls": 1, "retry_after": 3600}]}
    )
    [request_id] = queue_documents(client_paths, 1, tmp_path / "docs")
    code, out, _err = run_in_process(client_paths, "sync", "--once", "--json")
    events = _json_lines(out)
    [waiting] = [e for e in events if e["event"] == "waiting"]
    assert waiting["id"] == request_id
    assert waiting["queue_position"] >= 1
    assert waiting["provider_message"] == "Antrian sedang penuh, silakan coba kembali nanti"
    assert (events[-1]["waiting"], events[-1]["exit_code"], code) == (1, EXIT_PENDING, EXIT_PENDING)

    words = run_in_process(client_paths, "sync", "--once")
    assert words[0] == EXIT_PENDING
    assert "Requests are still waiting; run sync again later." in words[1]


def test_sync_once_exits_1_when_a_request_needs_attention(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    [request_id] = queue_documents(client_paths, 1, tmp_path / "docs")
    box = Outbox.open(client_paths)
    try:
        box.transition(request_id, State.NEEDS_ATTENTION, detail="asked the user")
    finally:
        box.close()
    code, out, _err = run_in_process(client_paths, "sync", "--once", "--json")
    assert code == EXIT_FAILED
    assert _json_lines(out)[-1]["needs_attention"] == 1


def test_recover_json_lists_what_the_words_say(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    foreign = admin.buy_at_the_portal()
    code, out, _err = run_in_process(client_paths, "recover", "--json")
    assert code == EXIT_OK
    body = json.loads(out)
    assert body["charged_unaccounted"] == [{"sn": foreign, "stamped": False}]  # bought only
    assert (body["recovered"], body["unused"], body["nothing_to_recover"]) == ([], [], False)
    words = run_in_process(client_paths, "recover")[1]
    assert f"charged {foreign}" in words


def test_sync_json_into_a_closed_pipe_still_stamps_and_ends_quietly(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    """``meterai sync --once --json | head -1``: events come from the engine's worker
    threads; a write that finds the reader gone must not fail the request it was about."""
    [request_id] = queue_documents(client_paths, 1, tmp_path / "docs")
    gone = with_reader_gone(
        tmp_path / "home", "--data-dir", client_paths.data_dir, "sync", "--once", "--json"
    )
    assert (gone.code, gone.err) == (EXIT_OK, "")
    assert row_of(client_paths, request_id).state == State.DONE
    assert [s["stamp_count"] for s in admin.serials()] == [1]


def test_sync_json_reports_a_transfer_in_quarters_not_per_chunk(tmp_path: Path) -> None:
    out = io.StringIO()
    printer = JsonPrinter(CliContext(paths=resolve_paths(tmp_path), out=out))
    for done in range(0, 100_001, 1000):  # 101 chunks of one upload
        printer(BytesMoved(7, "upload", done, 100_000))
    printer(BytesMoved(8, "download", 500, None))  # size unknown: nothing to say yet
    sent = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(e["event"], e["id"], e["done"]) for e in sent] == [
        ("progress", 7, done) for done in (0, 25_000, 50_000, 75_000, 100_000)
    ]


def test_sync_watch_json_stops_when_its_reader_goes_away(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    """A watch nobody reads any more stops by itself (rather than running unseen until
    killed), and leaves the outbox as a stop by Ctrl+C would."""
    [request_id] = queue_documents(client_paths, 1, tmp_path / "docs")
    gone = with_reader_gone(
        tmp_path / "home", "--lang", "en", "--data-dir", client_paths.data_dir,
        "sync", "--watch", "--json",
    )  # fmt: skip
    assert gone.code == EXIT_OK
    assert gone.err.strip() == "Stopped; the outbox is intact."
    assert row_of(client_paths, request_id).state != State.NEEDS_ATTENTION
    assert all(s["stamp_count"] <= 1 for s in admin.serials())
