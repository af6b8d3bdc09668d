"""A broken or hostile provider answer is bounded: the real sandbox over HTTPS, with faults."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from meterai.outbox import Outbox, RequestRow, State
from meterai.provider.peruri import SERIAL_FORMAT
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, load_settings
from meterai.sync.engine import Session
from meterai.sync.runner import SyncRunner
from meterai.verify import Expectation, load_trust_roots, verify_stamped
from tests.support.sandbox import FAST, Admin, queue_documents


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


def _journal_and_row(paths: Paths, request_id: int) -> tuple[list[str], RequestRow]:
    box = Outbox.open(paths)
    try:
        return [e.detail or "" for e in box.journal(request_id)], box.get(request_id)
    finally:
        box.close()


def _assert_done_once_without_a_false_gone(
    paths: Paths, admin: Admin, provider: SandboxServer, request_id: int
) -> None:
    journal, row = _journal_and_row(paths, request_id)
    assert row.state == State.DONE, row.last_error
    assert not [d for d in journal if "72 hours" in d], journal
    (serial,) = admin.serials()
    assert (serial["sn"], serial["stamp_count"]) == (row.sn, 1)
    assert admin.account()["spent"] == 1
    report = verify_stamped(
        Path(row.output_path or ""),
        load_trust_roots([provider.ca_file]),
        Expectation(
            original=paths.docs_dir / f"{row.doc_sha256}.pdf",
            page_index=row.page_index,
            rect=row.rect,
            serial_number=row.sn,
        ),
    )
    assert report.ok, report.summary()


@pytest.mark.parametrize("where", ["/getfile3/final_nothere.pdf", "/", "/getfile3/"])
def test_a_wrong_stored_url_file_still_ends_done(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path, where: str
) -> None:
    """Escaped bug: a wrong ``urlFile`` left a paid stamp in needs_attention with the false
    message that the provider had deleted the result, although ``final_<fileid>.pdf`` was there."""
    admin.faults(
        {
            "rules": [
                {
                    "endpoint": "docSigningZ",
                    "fault": "rewrite_json",
                    "path": "urlFile",
                    "value": provider.base_url + where,
                }
            ]
        }
    )
    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")
    SyncRunner(client_paths, load_settings(client_paths), config=FAST).run_once()
    _assert_done_once_without_a_false_gone(client_paths, admin, provider, request_id)


def _copy_database(paths: Paths, to: Path) -> None:
    """A consistent copy of the outbox as it is now (SQLite's backup API, WAL included)."""
    with sqlite3.connect(paths.database) as source, sqlite3.connect(to) as copy:
        source.backup(copy)


def _put_back(paths: Paths, copy: Path) -> None:
    """The older database comes back: the newer file and its WAL are gone."""
    for suffix in ("-wal", "-shm"):
        Path(f"{paths.database}{suffix}").unlink(missing_ok=True)
    os.replace(copy, paths.database)


@pytest.mark.parametrize("copied_at", [State.QUEUED, State.UPLOADED, State.NUMBERED])
def test_an_outbox_restored_from_before_stamping_fetches_the_stamped_result(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path, copied_at: State
) -> None:
    """Escaped bug: after an older database came back, the request adopted its stamped serial
    number and then fetched ``final_.pdf`` (no file id yet) and called the result deleted."""
    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")
    copy = tmp_path / "older.sqlite3"
    runner = SyncRunner(client_paths, load_settings(client_paths), config=FAST)
    runner.open()
    try:
        engine = runner._engine()
        while engine.outbox.get(request_id).state != copied_at:
            engine.step(request_id)
        _copy_database(client_paths, copy)
        while engine.outbox.get(request_id).state != State.DONE:
            assert engine.step(request_id) != State.NEEDS_ATTENTION
    finally:
        runner.close()
    _put_back(client_paths, copy)
    assert _journal_and_row(client_paths, request_id)[1].state == copied_at
    SyncRunner(client_paths, load_settings(client_paths), config=FAST).run_once()
    _assert_done_once_without_a_false_gone(client_paths, admin, provider, request_id)


def test_a_stamped_request_with_no_known_location_says_so_honestly(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    """No stored URL, no file id, and a status record naming no file: nothing says the
    result was deleted, so the user is not told it was; nothing is bought either."""
    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")
    runner = SyncRunner(client_paths, load_settings(client_paths), config=FAST)
    runner.open()
    try:
        engine = runner._engine()
        while engine.outbox.get(request_id).state != State.STAMPED:
            engine.step(request_id)
        engine.outbox.backend.conn.execute(
            "UPDATE requests SET result_url = NULL, provider_file_id = NULL WHERE id = ?",
            (request_id,),
        )
        admin.faults(
            {
                "rules": [
                    {
                        "endpoint": "sn-status",
                        "fault": "rewrite_json",
                        "path": "result.data.0.file",
                        "value": "",
                    }
                ]
            }
        )
        states = [engine.step(request_id) for _ in range(3)]
        row = engine.outbox.get(request_id)
    finally:
        runner.close()
    assert states == [State.STAMPED, State.STAMPED, State.NEEDS_ATTENTION]
    assert row.sn and row.sn in (row.last_error or "")
    assert "does not say where" in (row.last_error or "")
    assert "72 hours" not in (row.last_error or "")
    assert admin.account()["spent"] == 1


def test_a_paid_answer_naming_another_requests_serial_number_is_the_providers_fault(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    """Escaped bug (found by the adversary of this session): a provider that answers the
    paid call with a serial number another request already holds hit the UNIQUE column,
    and the attempt was reported as an internal error with a crash report. Now it is an
    unreadable answer to the paid call: the provider's list settles what was bought."""
    (first,) = queue_documents(client_paths, 1, tmp_path / "a")
    SyncRunner(client_paths, load_settings(client_paths), config=FAST).run_once()
    box = Outbox.open(client_paths)
    held = box.get(first).sn
    box.close()
    assert held
    admin.faults({"rules": [{"endpoint": "stampv2", "fault": "rewrite_json",
                             "path": "result.sn", "value": held, "count": 1}]})  # fmt: skip
    (second,) = queue_documents(client_paths, 1, tmp_path / "b")
    SyncRunner(client_paths, load_settings(client_paths), config=FAST).run_once()

    box = Outbox.open(client_paths)
    try:
        rows = box.get(first), box.get(second)
        journal = [entry.detail or "" for entry in box.journal(second)]
    finally:
        box.close()
    (sold,) = [s["sn"] for s in admin.serials() if s["sn"] != held]
    assert [(r.state, r.sn) for r in rows] == [(State.DONE, held), (State.DONE, sold)], journal
    assert admin.account()["spent"] == 2, "nothing bought twice"
    assert not [d for d in journal if "internal" in d.lower()], journal
    assert any(f"{held} is already held by request {first}" in d for d in journal), journal
    assert not list(client_paths.logs_dir.glob("internal-error-*")), "no crash report"


def test_a_paid_answer_naming_a_serial_number_the_provider_never_sold_ends_done(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    """Escaped bug (found by an adversarial run): the paid call is answered with a
    well-formed serial number the provider does not know. The client recorded it, the
    stamping call was refused ("refToken (SN) tidak ditemukan"), and the request waited
    for a person with a message that blamed the document and kept the made-up number,
    while the serial number really sold for its tag sat unused (NOTSTAMP) on the
    provider's list: paid, not done. It ends done with the number the list shows for its
    tag, buying nothing more."""
    admin.faults({"rules": [{"endpoint": "stampv2", "fault": "rewrite_json", "path": "result.sn",
                             "value": "A" * 22, "count": 1}]})  # fmt: skip
    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")
    for _ in range(2):
        SyncRunner(client_paths, load_settings(client_paths), config=FAST).run_once()
    box = Outbox.open(client_paths)
    try:
        row = box.get(request_id)
    finally:
        box.close()
    (sold,) = admin.serials()
    assert admin.account()["spent"] == 1, "nothing bought twice"
    assert (row.state, row.sn) == (State.DONE, sold["sn"]), row.last_error
