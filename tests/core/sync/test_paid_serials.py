"""Issue 13: no paid serial number is ever stuck, and no document is bought twice by accident.

Against the real sandbox over HTTPS: the stamping call refuses the document after its
serial number was bought (the ``refuse_document`` fault answers as the signing adapter
does when its reader cannot read the upload), and the ledger says how many stamps were
bought and which document each one was stamped on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.cli.main import run
from meterai.outbox import Outbox, State
from meterai.sandbox import SandboxServer
from meterai.settings import Paths
from tests.support.pdfs import make_pdf
from tests.support.sandbox import Admin, assert_stamped_once_on, drain, queue_documents, row_of

REFUSE_ONCE = {
    "seed": 1,
    "rules": [{"endpoint": "docSigningZ", "fault": "refuse_document", "count": 1}],
}


def _cli(paths: Paths, *args: str) -> int:
    return run(["--data-dir", str(paths.data_dir), "--lang", "en", *args])


def _refused_after_payment(paths: Paths, admin: Admin, folder: Path) -> tuple[int, str]:
    """A request whose document the stamping call refused after its serial number was bought."""
    admin.faults(REFUSE_ONCE)
    (request_id,) = queue_documents(paths, 1, folder)
    drain(paths, 2)
    row = row_of(paths, request_id)
    assert row.state == State.NEEDS_ATTENTION and row.sn, row
    assert f"meterai replace {request_id}" in row.reason(), "the message names the way out"
    (serial,) = admin.serials()
    assert (serial["sn"], serial["status"]) == (row.sn, "NOTSTAMP")
    return request_id, str(row.sn)


def test_a_refused_document_replaced_is_stamped_with_the_serial_number_it_holds(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    request_id, sn = _refused_after_payment(client_paths, admin, tmp_path / "docs")
    corrected = make_pdf(tmp_path / "corrected.pdf", pages=2)

    assert _cli(client_paths, "replace", str(request_id), str(corrected)) == 0
    drain(client_paths, 2)

    assert_stamped_once_on(client_paths, admin, provider, request_id, sn)
    row = row_of(client_paths, request_id)
    assert row.file_name == "corrected.pdf"
    (serial,) = admin.serials()
    assert serial["reassign_count"] == 1, "the serial number was moved to the new bytes"
    box = Outbox.open(client_paths)
    try:
        journal = [j.detail or "" for j in box.journal(request_id)]
    finally:
        box.close()
    assert any("document replaced by" in d and sn in d for d in journal), journal


def test_a_refused_request_cancelled_gives_its_serial_number_to_the_next_document(
    client_paths: Paths,
    admin: Admin,
    provider: SandboxServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    request_id, sn = _refused_after_payment(client_paths, admin, tmp_path / "docs")

    assert _cli(client_paths, "cancel", str(request_id)) == 0
    assert sn in capsys.readouterr().out
    next_doc = make_pdf(tmp_path / "next.pdf")
    assert _cli(client_paths, "add", "--type", "3", str(next_doc)) == 0
    drain(client_paths, 2)

    assert row_of(client_paths, request_id).state == State.CANCELLED
    assert_stamped_once_on(client_paths, admin, provider, request_id + 1, sn)


def test_retry_alone_cannot_help_a_refused_document_and_buys_nothing(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    """The state the issue found: the request keeps its serial number through a retry."""
    request_id, sn = _refused_after_payment(client_paths, admin, tmp_path / "docs")
    admin.faults({"seed": 2, "rules": [{"endpoint": "docSigningZ", "fault": "refuse_document"}]})
    assert _cli(client_paths, "retry", str(request_id)) == 0
    drain(client_paths, 2)
    row = row_of(client_paths, request_id)
    assert (row.state, row.sn) == (State.NEEDS_ATTENTION, sn)
    assert admin.account()["spent"] == 1


def test_the_same_pdf_added_twice_is_one_request_and_one_purchase(
    client_paths: Paths,
    admin: Admin,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    doc = make_pdf(tmp_path / "x.pdf")
    assert _cli(client_paths, "add", "--type", "3", str(doc)) == 0
    capsys.readouterr()
    assert _cli(client_paths, "add", "--type", "3", str(doc)) == 3
    err = capsys.readouterr().err
    assert "request 1 (Queued)" in err and "--again" in err, err
    drain(client_paths, 2)
    assert admin.account()["spent"] == 1

    assert _cli(client_paths, "add", "--type", "3", str(doc)) == 3
    err = capsys.readouterr().err
    output = row_of(client_paths, 1).output_path
    assert "already stamped as request 1" in err and str(output) in err, err

    assert _cli(client_paths, "add", "--type", "3", "--again", str(doc)) == 0
    drain(client_paths, 2)
    box = Outbox.open(client_paths)
    try:
        assert [r.state for r in box.requests()] == [State.DONE, State.DONE]
    finally:
        box.close()
    assert admin.account()["spent"] == 2
