"""``meterai evidence``: the acceptance of issue 18 item 2, against the real sandbox.

A request whose stamping call failed twice (HTTP 503) and then succeeded: the zip holds
the summary PDF in both languages (rendered by poppler and looked at), the journal as
JSON with both failures and their error code, the request's log lines and the stamped
file, and no password or token anywhere.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from meterai.logs import LOG_NAME, setup_logging
from meterai.outbox import State
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, resolve_paths
from tests.support.cli import EXIT_OK, run_in_process
from tests.support.rendering import needs_poppler, render, text
from tests.support.sandbox import Admin, admin, drain, point_at, provider, queue_documents, row_of

__all__ = ["admin", "provider"]

FAILED = "attempt failed (provider_busy)"
# A secret as an older version (or a handler without the filter) could have logged it.
LEAKY_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl"
SECRETS = re.compile(rb"eyJ[A-Za-z0-9_-]{4,}\.|(?i:bearer)\s+(?!\[REDACTED\])\S|password\W+demo")


@pytest.fixture
def stamped_after_two_failures(
    tmp_path: Path, provider: SandboxServer, admin: Admin
) -> Iterator[tuple[Paths, int]]:
    paths = resolve_paths(tmp_path / "data")
    point_at(paths, provider)
    handler = setup_logging(paths)  # what every syncing command of the CLI does first
    (request_id,) = queue_documents(paths, 1, tmp_path / "docs")
    admin.faults(
        {"rules": [{"endpoint": "docSigningZ", "fault": "http_error", "status": 503, "count": 2}]}
    )
    for _ in range(5):
        drain(paths)
        if row_of(paths, request_id).state == State.DONE:
            break
    handler.flush()
    with (paths.logs_dir / LOG_NAME).open("a", encoding="utf-8") as log:
        log.write(f"2026-12-01 10:00:00,000 INFO meterai.provider: request {request_id}: ")
        log.write(f"headers {{'Authorization': 'Bearer {LEAKY_TOKEN}'}} password=demo\n")
    yield paths, request_id
    handler.close()


@needs_poppler
def test_the_evidence_of_a_request_that_failed_twice_then_succeeded(
    stamped_after_two_failures: tuple[Paths, int], tmp_path: Path
) -> None:
    paths, request_id = stamped_after_two_failures
    row = row_of(paths, request_id)
    assert row.state == State.DONE, row.last_error
    dest = tmp_path / "e.zip"

    code, out, err = run_in_process(paths, "evidence", str(request_id), "--out", str(dest))

    assert code == EXIT_OK, err
    assert "2 failed attempts" in out
    with zipfile.ZipFile(dest) as bundle:
        members = {name: bundle.read(name) for name in bundle.namelist()}
    stamped = f"stamped/{Path(row.output_path or '').name}"
    assert set(members) == {"summary.pdf", "journal.json", "log.txt", stamped}
    assert members[stamped] == Path(row.output_path or "").read_bytes()

    journal = json.loads(members["journal.json"])
    failures = [e for e in journal["journal"] if e["detail"].startswith(FAILED)]
    assert len(failures) == 2 and journal["failed_attempts"] == 2
    assert journal["request"]["sn"] == row.sn and journal["request"]["state"] == "done"

    log = members["log.txt"].decode()
    assert f"request {request_id}: attempt 2 failed (provider_busy)" in log
    assert "-> done" in log and "[REDACTED]" in log
    leaks = {name: SECRETS.findall(data) for name, data in members.items() if name != stamped}
    assert not any(leaks.values()), leaks

    summary = tmp_path / "summary.pdf"
    summary.write_bytes(members["summary.pdf"])
    shown = text(summary)
    assert shown.count("\f") == 1, "the summary is one page"
    for both in ("Nomor seri / Serial number", "Keadaan akhir / Final state", "Selesai / Done"):
        assert both in shown, both
    assert row.sn is not None and row.sn in shown and row.doc_sha256 in shown
    assert shown.count(FAILED) == 2
    (png,) = render(summary, tmp_path / "summary", dpi=80)
    assert png.stat().st_size > 10_000


def test_evidence_of_an_unknown_request_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = resolve_paths(tmp_path / "data")
    code, _out, _err = run_in_process(paths, "evidence", "7", "--out", str(tmp_path / "e.zip"))
    assert code != EXIT_OK
    assert "There is no request 7 in the outbox." in capsys.readouterr().err
    assert not (tmp_path / "e.zip").exists()
