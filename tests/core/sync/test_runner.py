"""The runner against the real sandbox over HTTPS: stamps end up done, once, and verified."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from meterai import i18n
from meterai.identity import identity_from
from meterai.intake import IntakeOptions, queue_file
from meterai.messages import Message
from meterai.outbox import Outbox, RequestRow, State, db
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, load_settings
from meterai.sync.engine import Engine, Session, Verdict
from meterai.sync.events import Event, StateChanged
from meterai.sync.runner import SyncRunner
from meterai.verify import Expectation, load_trust_roots, verify_stamped
from tests.support.clock import ManualClock
from tests.support.pdfs import make_pdf
from tests.support.sandbox import FAST, Admin, drain, point_at, queue_documents

RETENTION = 72 * 3600.0  # how long the provider keeps a stamped result, as the sandbox does


def _assert_all_done_once(paths: Paths, admin: Admin, count: int, provider: SandboxServer) -> None:
    box = Outbox.open(paths)
    rows = box.requests()
    box.close()
    assert [r.state for r in rows] == [State.DONE] * count, [r.last_error for r in rows]
    serials = admin.serials()
    assert len(serials) == count
    assert all(s["stamp_count"] == 1 for s in serials), serials
    assert {r.sn for r in rows} == {s["sn"] for s in serials}
    roots = load_trust_roots([provider.ca_file])
    for row in rows:
        original = paths.docs_dir / f"{row.doc_sha256}.pdf"
        report = verify_stamped(
            Path(row.output_path or ""),
            roots,
            Expectation(
                original=original, page_index=row.page_index, rect=row.rect, serial_number=row.sn
            ),
        )
        assert report.ok, report.summary()


def test_three_documents_end_done_and_verified(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    queue_documents(client_paths, 3, tmp_path / "docs")
    drain(client_paths)
    _assert_all_done_once(client_paths, admin, 3, provider)
    assert sorted(p.name for p in (tmp_path / "docs" / "out").iterdir()) == [
        "doc-0-emeterai.pdf",
        "doc-1-emeterai.pdf",
        "doc-2-emeterai.pdf",
    ]


@pytest.mark.slow  # a minute and more: every fault mode over real HTTPS, waited out
def test_hostile_network_still_ends_each_stamp_once(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    """The issue's acceptance: queue mode, 30% of answers lost after commit, hangs, 64 kbit/s."""
    admin.faults(
        {
            "seed": 11,
            "rules": [
                {"endpoint": "*", "fault": "bandwidth", "bytes_per_second": 8000},
                {"endpoint": "*", "fault": "queue", "calls": 15, "retry_after": 1},
                {"endpoint": "*", "fault": "drop_after_commit", "probability": 0.3},
                {"endpoint": "stampv2", "fault": "hang", "count": 2},
                {"endpoint": "docSigningZ", "fault": "hang", "count": 2},
            ],
        }
    )
    queue_documents(client_paths, 50, tmp_path / "docs")
    deadline = time.monotonic() + 420
    while time.monotonic() < deadline:
        drain(client_paths)
        box = Outbox.open(client_paths)
        pending = box.count(states=[s for s in State if s not in (State.DONE,)])
        box.close()
        if not pending:
            break
    admin.faults({})
    _assert_all_done_once(client_paths, admin, 50, provider)


def test_verifying_a_download_does_not_hold_a_provider_slot(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    """At concurrency 1 the second document uploads while the first is still being checked."""
    first, second = queue_documents(client_paths, 2, tmp_path / "docs")
    second_uploaded = threading.Event()
    waited: list[bool] = []

    def watch(event: Event) -> None:
        if not isinstance(event, StateChanged):
            return
        if event.row.id == second and event.row.state == State.UPLOADED:
            second_uploaded.set()

    class SlowChecker(SyncRunner):
        def _verify(self, row: RequestRow, stamped: Path, original: Path) -> Verdict:
            if row.id == first:
                waited.append(second_uploaded.wait(10))
            return super()._verify(row, stamped, original)

    config = replace(FAST, concurrency=1)
    SlowChecker(
        client_paths, load_settings(client_paths), concurrency=1, events=watch, config=config
    ).run_once()
    assert waited == [True], "the second upload waited for the first document's verification"
    _assert_all_done_once(client_paths, admin, 2, provider)


def test_a_database_held_by_another_program_at_start_up_only_postpones_the_work(
    client_paths: Paths,
    admin: Admin,
    provider: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Escaped bug: a write lock held past the busy timeout while the runner started
    (caching the document types, reconciling) stopped the runner for good."""
    queue_documents(client_paths, 2, tmp_path / "docs")
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setitem(db.EXPECTED_PRAGMAS, "busy_timeout", 100)
    holder = sqlite3.connect(client_paths.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(1.5, holder.rollback)
    release.start()
    try:
        drain(client_paths)
    finally:
        release.join()
        holder.close()
    _assert_all_done_once(client_paths, admin, 2, provider)


def _queue_for_siti(paths: Paths, tmp_path: Path) -> None:
    """One document whose stamp duty is levied on Siti, by KTP."""
    box = Outbox.open(paths)
    try:
        options = IntakeOptions("3", identity=identity_from("KTP", "3174012345678901", "Siti"))
        queue_file(box, paths, make_pdf(tmp_path / "ktp.pdf"), options)
    finally:
        box.close()


def test_an_identity_queued_with_a_document_is_sent_with_its_paid_call(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    _queue_for_siti(client_paths, tmp_path)
    drain(client_paths)
    (serial,) = admin.serials()
    assert (serial["namejidentitas"], serial["noidentitas"], serial["namedipungut"]) == (
        "KTP",
        "3174012345678901",
        "Siti",
    )


def _buy_an_orphan(client_paths: Paths, admin: Admin) -> str:
    """A serial number bought under this install's tag that no request holds."""
    box = Outbox.open(client_paths)
    install = box.install_id()
    box.close()
    tag = f"mdk-{install}-{'ab' * 8}"
    body = admin.http.post("/api/users/login", json={"user": "demo", "password": "demo"}).json()
    token = body["token"]
    up = admin.http.post(
        "/uploaddoc2",
        files={"file": ("x.pdf", b"%PDF-1.7\n%%EOF\n")},
        data={"token": token},
        headers={"Authorization": f"Bearer {token}"},
    )
    bought = admin.http.post(
        "/chanel/stampv2",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "isUpload": True,
            "idfile": up.json()["id"],
            "namadoc": "3",
            "namafile": f"{tag}_lost.pdf",
            "nilaidoc": "10000",
            "namejidentitas": "",
            "noidentitas": "",
            "namedipungut": "",
            "snOnly": False,
            "nodoc": tag,
            "tgldoc": "2026-11-24",
        },
    ).json()
    return str(bought["result"]["sn"])


def test_orphan_serial_is_reused_before_buying(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    orphan = _buy_an_orphan(client_paths, admin)
    queue_documents(client_paths, 1, tmp_path / "docs")
    drain(client_paths)
    _assert_all_done_once(client_paths, admin, 1, provider)
    (serial,) = admin.serials()
    assert serial["sn"] == orphan and serial["reassign_count"] == 1
    assert admin.account()["spent"] == 1


def test_a_request_naming_a_party_buys_its_own_serial_rather_than_an_orphan(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    """Found in review: a reused orphan would carry whoever's identity it was bought with."""
    orphan = _buy_an_orphan(client_paths, admin)
    _queue_for_siti(client_paths, tmp_path)
    drain(client_paths)
    serials = {s["sn"]: s for s in admin.serials()}
    assert orphan in serials and serials[orphan]["stamp_count"] == 0
    (bought,) = [s for sn, s in serials.items() if sn != orphan]
    assert (bought["noidentitas"], bought["stamp_count"]) == ("3174012345678901", 1)
    box = Outbox.open(client_paths)
    try:
        assert box.orphans() == [orphan], "the orphan stays for a request without identity"
    finally:
        box.close()


def test_result_deleted_by_provider_needs_attention_without_buying(
    tmp_path: Path,
) -> None:
    """The provider's 72-hour retention passes on the sandbox's clock, not in a sleep."""
    clock = ManualClock()
    with SandboxServer(tmp_path / "timed", clock=clock) as server:
        paths = Paths(tmp_path / "client", tmp_path / "client")
        point_at(paths, server)
        (request_id,) = queue_documents(paths, 1, tmp_path / "docs")
        runner = SyncRunner(paths, load_settings(paths), config=FAST)
        runner.open()
        try:
            engine: Engine = runner._engine()
            engine.session = Session(reconciled=True)
            while engine.outbox.get(request_id).state != State.STAMPED:
                engine.step(request_id)
            clock.advance(RETENTION + 1)
            # Asked three times (a fresh result may not be visible yet), then the user is told.
            states = [engine.step(request_id) for _ in range(3)]
            assert states == [State.STAMPED, State.STAMPED, State.NEEDS_ATTENTION]
            row = engine.outbox.get(request_id)
            assert row.sn and row.sn in (row.last_error or "")
        finally:
            runner.close()


def test_truncated_download_is_fetched_again(
    client_paths: Paths, admin: Admin, provider: SandboxServer, tmp_path: Path
) -> None:
    """Escaped bug (bench/torture.py run 57): a stamped file cut short but correctly framed
    was recorded as downloaded, and verification retried on it forever."""
    admin.faults(
        {"seed": 5, "rules": [{"endpoint": "getfile", "fault": "truncated_json", "count": 2}]}
    )
    queue_documents(client_paths, 1, tmp_path / "docs")
    drain(client_paths)
    box = Outbox.open(client_paths)
    journal = [j.detail or "" for j in box.journal(1)]
    box.close()
    assert any("unreadable download" in d for d in journal), journal
    _assert_all_done_once(client_paths, admin, 1, provider)


def test_recover_lists_serials_charged_elsewhere_and_sync_warns_on_low_balance(
    client_paths: Paths, admin: Admin, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from meterai.cli.main import run
    from meterai.settings import save_settings

    portal = admin.buy_at_the_portal()
    assert run(["--data-dir", str(client_paths.data_dir), "--lang", "en", "recover"]) == 0
    assert f"charged {portal}" in capsys.readouterr().out

    settings = load_settings(client_paths)
    settings.extra["low_balance"] = 5000
    save_settings(client_paths, settings)
    queue_documents(client_paths, 1, tmp_path / "docs")
    assert run(["--data-dir", str(client_paths.data_dir), "--lang", "en", "sync", "--once"]) == 0
    assert "Low balance" in capsys.readouterr().err


def test_a_stored_reason_reads_in_the_language_of_whoever_reads_it(
    client_paths: Paths, admin: Admin, tmp_path: Path
) -> None:
    """Written in one language, the waiting reason of a row reads in the other after a
    switch (it used to stay in English, the language of ``last_error``)."""
    admin.faults(
        {"seed": 3, "rules": [{"endpoint": "uploaddoc2", "fault": "http_error", "status": 503}]}
    )
    (request_id,) = queue_documents(client_paths, 1, tmp_path / "docs")
    runner = SyncRunner(client_paths, load_settings(client_paths), config=FAST)
    runner.open()
    try:
        i18n.set_language("id")
        engine: Engine = runner._engine()
        assert engine.step(request_id) == State.QUEUED
        row = engine.outbox.get(request_id)
    finally:
        runner.close()
    message = Message.from_json(row.last_error_msg)
    assert message is not None and row.attempts == 1
    try:
        i18n.set_language("en")
        english = row.reason()
        i18n.set_language("id")
        indonesian = row.reason()
    finally:
        i18n.set_language("id")
    assert english == row.last_error == message.english()
    assert indonesian == i18n.translations("id").gettext(message.id).format(**message.params)
    assert indonesian != english, indonesian
