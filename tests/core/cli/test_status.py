"""Issue 3's acceptance through the installed ``meterai`` script, as a kiosk or a script runs it.

Every call is a real process with a real data dir, so exit codes, stdout/stderr and
the default language are what a caller sees, not what an in-process test would. The
provider's queue answer is heard from the real sandbox over loopback.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path

import pytest

from meterai.outbox import Outbox, State
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, resolve_paths
from tests.support.cli import (
    EXIT_OK,
    EXIT_REJECTED,
    meterai,
    queue_good,
    run_in_process,
    status_json,
)
from tests.support.sandbox import Admin, admin, drain, point_at, provider, queue_documents, row_of


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_status_in_words_shows_the_state(data: Path, home: Path, pdfs: dict[str, Path]) -> None:
    queue_good(data, home, pdfs["good"])
    result = meterai("--lang", "en", "--data-dir", data, "status", home=home)
    assert result.code == EXIT_OK
    assert "Queued" in result.out
    assert "good.pdf" in result.out


def test_show_prints_the_request_and_its_journal(
    data: Path, home: Path, pdfs: dict[str, Path]
) -> None:
    request_id = queue_good(data, home, pdfs["good"])
    words = meterai("--lang", "en", "--data-dir", data, "show", str(request_id), home=home)
    assert words.code == EXIT_OK
    assert "good.pdf" in words.out
    assert "Journal:" in words.out
    assert "-> Queued  queued from" in words.out  # the state's label, the detail's words

    body = json.loads(meterai("--data-dir", data, "show", str(request_id), "--json", home=home).out)
    assert body["id"] == request_id
    assert body["sha256"] == sha256(pdfs["good"])
    assert [entry["to_state"] for entry in body["journal"]] == ["queued"]


def test_cancel_withdraws_a_queued_request(data: Path, home: Path, pdfs: dict[str, Path]) -> None:
    request_id = queue_good(data, home, pdfs["good"])
    result = meterai("--lang", "en", "--data-dir", data, "cancel", str(request_id), home=home)
    assert result.code == EXIT_OK
    assert result.out.strip() == f"cancelled {request_id} good.pdf"
    assert status_json(data, home)[0]["state"] == "cancelled"

    again = meterai("--lang", "en", "--data-dir", data, "cancel", str(request_id), home=home)
    assert again.code == EXIT_REJECTED
    assert again.err.startswith("Error: ")


def test_show_and_cancel_of_an_unknown_id_name_it(data: Path, home: Path) -> None:
    for command in ("show", "cancel"):
        result = meterai("--data-dir", data, "--lang", "en", command, "42", home=home)
        assert result.code == EXIT_REJECTED
        assert "no request 42" in result.err


# --- what the provider said stays with the request (issue 18 item 4) ------------------
# The queue position and the provider's own words ("Antrian sedang penuh") are stored with
# the request by the engine, so status, status --json and show give them after the sync
# that heard them has ended.

__all__ = ["admin", "provider"]

BUSY = "Antrian sedang penuh, silakan coba kembali nanti"


@pytest.fixture
def client_paths(tmp_path: Path, provider: SandboxServer) -> Paths:
    paths = resolve_paths(tmp_path / "client")
    point_at(paths, provider)
    return paths


@pytest.fixture
def queued_at_the_provider(client_paths: Paths, admin: Admin, tmp_path: Path) -> int:
    """One request the provider answered "queue full, you are number 41" (an hour's wait)."""
    admin.faults(
        {
            "rules": [
                {
                    "endpoint": "stampv2",
                    "fault": "queue",
                    "calls": 1,
                    "position": 40,
                    "retry_after": 3600,
                }
            ]
        }
    )
    [request_id] = queue_documents(client_paths, 1, tmp_path / "docs")
    drain(client_paths)
    return request_id


def test_the_provider_queue_answer_is_stored_with_the_request(
    client_paths: Paths, queued_at_the_provider: int
) -> None:
    row = row_of(client_paths, queued_at_the_provider)
    assert row.state not in (State.DONE, State.NEEDS_ATTENTION)
    assert row.queue_position == 41
    assert row.provider_message == BUSY


def test_status_shows_the_queue_position_and_the_provider_words(
    client_paths: Paths, queued_at_the_provider: int
) -> None:
    code, out, _err = run_in_process(client_paths, "status")
    assert code == 0
    line = next(x for x in out.splitlines() if x.lstrip().startswith(str(queued_at_the_provider)))
    assert "queue position 41" in line
    assert f"the provider says: \u201c{BUSY}\u201d" in line


def test_status_json_carries_everything_status_shows(
    client_paths: Paths, queued_at_the_provider: int
) -> None:
    _code, text, _err = run_in_process(client_paths, "status")
    code, out, _err = run_in_process(client_paths, "status", "--json")
    assert code == 0
    [listed] = json.loads(out)
    assert (listed["queue_position"], listed["provider_message"]) == (41, BUSY)
    assert listed["next_attempt_at"] > 0
    line = next(x for x in text.splitlines() if x.lstrip().startswith(str(listed["id"])))
    for shown in (listed["state_label"], listed["reason"], str(listed["attempts"])):
        assert shown in line
    assert "queue position 41" in listed["reason"]


def test_show_json_gives_the_provider_words_too(
    client_paths: Paths, queued_at_the_provider: int
) -> None:
    code, out, _err = run_in_process(client_paths, "show", str(queued_at_the_provider), "--json")
    assert code == 0
    body = json.loads(out)
    assert (body["queue_position"], body["provider_message"]) == (41, BUSY)


def test_the_queue_words_are_in_indonesian_by_default(
    client_paths: Paths, queued_at_the_provider: int
) -> None:
    """Indonesian is the default language: this one checks the catalogue's words."""
    row = row_of(client_paths, queued_at_the_provider)
    heard = row.heard()
    assert heard is not None
    assert heard.text("id") == f"urutan antrean 41; pesan dari layanan meterai: \u201c{BUSY}\u201d"


def test_a_request_that_left_the_queue_no_longer_shows_a_place_in_it(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    admin.faults(
        {"rules": [{"endpoint": "stampv2", "fault": "queue", "calls": 1, "retry_after": 0}]}
    )
    [request_id] = queue_documents(client_paths, 1, tmp_path / "docs")
    drain(client_paths)
    row = row_of(client_paths, request_id)
    assert row.state == State.DONE
    assert (row.queue_position, row.provider_message) == (None, None)
    box = Outbox.open(client_paths)
    try:
        heard = [e.detail for e in box.journal(request_id) if "attempt failed" in (e.detail or "")]
    finally:
        box.close()
    assert len(heard) == 1, "the provider's queue answer was heard once, then passed"
    code, out, _err = run_in_process(client_paths, "status", "--json")
    assert (code, json.loads(out)[0]["reason"]) == (0, "")


# The provider's re-stamp window (docs/provider-facts.md): a request that holds a paid
# serial number and waits to retry its stamp says until when, and when that has passed.


@pytest.fixture
def refused_after_payment(client_paths: Paths, admin: Admin, tmp_path: Path) -> int:
    """A request whose stamp the provider refused once its serial number was bought."""
    admin.faults(
        {"seed": 1, "rules": [{"endpoint": "docSigningZ", "fault": "refuse_document", "count": 1}]}
    )
    [request_id] = queue_documents(client_paths, 1, tmp_path / "docs")
    drain(client_paths, 2)
    row = row_of(client_paths, request_id)
    assert row.state == State.NEEDS_ATTENTION and row.sn and row.stamp_tries == 1, row
    return request_id


def _bought_hours_ago(paths: Paths, sn: str, hours: float) -> float:
    found_at = time.time() - hours * 3600
    with sqlite3.connect(paths.data_dir / "outbox.sqlite3") as db:
        db.execute("UPDATE serials SET found_at = ? WHERE sn = ?", [found_at, sn])
    return found_at


def test_a_stamp_waiting_for_a_retry_shows_the_providers_48_hour_window(
    client_paths: Paths, refused_after_payment: int
) -> None:
    row = row_of(client_paths, refused_after_payment)
    assert row.sn is not None
    bought = _bought_hours_ago(client_paths, row.sn, 1)
    code, out, _err = run_in_process(client_paths, "status", "--json")
    assert code == 0
    [listed] = json.loads(out)
    assert listed["restamp_by"] == pytest.approx(bought + 48 * 3600)
    assert "retry the stamp by" in listed["reason"]
    _code, text, _err = run_in_process(client_paths, "show", str(row.id))
    assert "the provider's 48-hour window" in text

    _bought_hours_ago(client_paths, row.sn, 49)
    _code, text, _err = run_in_process(client_paths, "status")
    line = next(x for x in text.splitlines() if x.lstrip().startswith(str(row.id)))
    assert "48-hour window for retrying this stamp closed at" in line


def test_no_window_is_shown_for_a_request_that_never_tried_a_stamp(
    client_paths: Paths, queued_at_the_provider: int
) -> None:
    _code, out, _err = run_in_process(client_paths, "status", "--json")
    [listed] = json.loads(out)
    assert listed["restamp_by"] is None
    assert "48-hour" not in listed["reason"]
