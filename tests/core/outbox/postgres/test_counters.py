"""Several counters on one shared database and one account: any counter stamps any
request, the counter that took it in exports it, and the account logs in once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from meterai.outbox import Outbox, State
from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.connect import connect
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, resolve_paths
from tests.support.sandbox import Admin, drain, point_at, queue_documents

METERAI = Path(sys.executable).with_name("meterai")


def _counter(root: Path, name: str, sandbox: SandboxServer) -> Paths:
    paths = resolve_paths(root / name)
    point_at(paths, sandbox)
    paths.data_dir.joinpath("counter-name").write_text(name + "\n")
    return paths


def _states(paths: Paths) -> dict[int, State]:
    box = Outbox.open(paths)
    try:
        return {r.id: r.state for r in box.requests()}
    finally:
        box.close()


def test_a_request_taken_at_one_counter_is_stamped_at_another_and_exported_by_its_owner(
    tmp_path: Path,
    pg_url: str,
    sandbox: SandboxServer,
    admin: Admin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("METERAI_DATABASE", pg_url)
    first = _counter(tmp_path, "loket-1", sandbox)
    second = _counter(tmp_path, "loket-2", sandbox)
    ids = queue_documents(first, 3, tmp_path / "customer")
    outputs = tmp_path / "customer" / "out"

    drain(second)  # loket-2 is free: it uploads, buys, stamps and verifies all three

    assert set(_states(second).values()) == {State.VERIFIED}
    assert not outputs.exists() or not list(outputs.iterdir())  # not loket-2's customer
    assert sorted(p.name for p in second.docs_dir.iterdir()) != []  # bytes came from the db

    drain(first)  # the owner exports

    assert _states(first) == dict.fromkeys(ids, State.DONE)
    assert len(list(outputs.glob("*.pdf"))) == 3
    assert len(admin.serials()) == 3  # one serial number each, none bought twice
    with connect(DatabaseUrl.parse(pg_url)) as conn:
        logins = conn.execute("SELECT sum(logins) FROM tokens").fetchone()
        journal = conn.execute(
            "SELECT count(*) FROM journal j JOIN requests r ON r.id = j.request_id"
            " WHERE j.to_state = 'numbered' AND j.from_state != 'numbered' GROUP BY r.id"
        ).fetchall()
    assert logins == (1,)  # the second counter reused the first one's token
    assert journal == [(1,)] * 3


def _claim_of(url: str, request_id: int) -> tuple[str, str | None]:
    with connect(DatabaseUrl.parse(url)) as conn:
        row = conn.execute(
            "SELECT state, claimed_by FROM requests WHERE id = %s", [request_id]
        ).fetchone()
    assert row is not None
    return str(row[0]), row[1]


@pytest.mark.slow
def test_claiming_brings_no_files_the_worker_does(
    tmp_path: Path, pg_url: str, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner claims on its one dispatching thread: a document of another counter
    (read from the database, written and synced: 7-25 ms) held up every slot waiting for
    a request there. The claim now only claims; the thread that works on the request
    brings its document, byte for byte."""
    monkeypatch.setenv("METERAI_DATABASE", pg_url)
    first = _counter(tmp_path, "loket-1", sandbox)
    second = _counter(tmp_path, "loket-2", sandbox)
    [request_id] = queue_documents(first, 1, tmp_path / "customer")
    box = Outbox.open(second)
    try:
        [row] = box.due(states=[State.QUEUED])
        assert row.id == request_id
        document = second.docs_dir / f"{row.doc_sha256}.pdf"
        assert not document.exists()
        box.bring_files(row)
        assert document.read_bytes() == (first.docs_dir / document.name).read_bytes()
    finally:
        box.close()


def test_a_counter_killed_holding_a_claim_is_taken_over_after_the_lease_without_buying_twice(
    tmp_path: Path,
    pg_url: str,
    sandbox: SandboxServer,
    admin: Admin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """loket-1 dies in the middle of the paid call (SIGKILL), holding the claim on a
    request in ``numbering``. loket-2 leaves it alone while the lease runs, then takes it
    over, reconciles it by its tag, and finishes it: one serial number, not two."""
    lease = 3.0
    monkeypatch.setenv("METERAI_DATABASE", pg_url)
    monkeypatch.setenv("METERAI_LEASE_SECONDS", str(lease))
    first = _counter(tmp_path, "loket-1", sandbox)
    second = _counter(tmp_path, "loket-2", sandbox)
    (request_id,) = queue_documents(second, 1, tmp_path / "customer")
    admin.faults({"rules": [{"endpoint": "stampv2", "fault": "latency", "seconds": 4.0}]})

    doomed = subprocess.Popen(
        [str(METERAI), "--data-dir", str(first.data_dir), "sync", "--once"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while _claim_of(pg_url, request_id) != ("numbering", "loket-1"):
            assert doomed.poll() is None, "loket-1 ended before its paid call"
            assert time.monotonic() < deadline, _claim_of(pg_url, request_id)
            time.sleep(0.05)
        doomed.send_signal(signal.SIGKILL)  # mid-purchase, holding the claim
    finally:
        doomed.wait()
    killed_at = time.time()
    admin.faults({})

    drain(second)

    box = Outbox.open(second)
    try:
        done = box.get(request_id)
    finally:
        box.close()
    with connect(DatabaseUrl.parse(pg_url)) as conn:
        moves = conn.execute(
            "SELECT from_state, to_state, counter, at FROM journal WHERE request_id = %s"
            " AND from_state IS DISTINCT FROM to_state ORDER BY id",
            [request_id],
        ).fetchall()
    assert done.state == State.DONE, done.reason()
    assert [(f, t, c) for f, t, c, _at in moves[:3]] == [
        (None, "queued", "loket-2"),
        ("queued", "uploaded", "loket-1"),
        ("uploaded", "numbering", "loket-1"),
    ]
    after = moves[3:]
    assert {c for _f, _t, c, _at in after} == {"loket-2"}
    # The claim was left alone while its lease ran (renewed every lease/4 until the kill).
    assert after[0][3] >= killed_at + lease * 0.7
    assert after[-1][1] == "done"
    assert len(admin.serials()) == 1  # reconciled by its tag, not bought again
    assert [s["sn"] for s in admin.serials()] == [done.sn]
    assert len(list((tmp_path / "customer" / "out").glob("*.pdf"))) == 1


@pytest.mark.slow
def test_three_counters_killed_at_random_stamp_every_document_once(
    tmp_path: Path,
    pg_url: str,
    sandbox: SandboxServer,
    admin: Admin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CI-sized form of ``bench/torture.py --counters 3`` (60 documents, 20 kills)."""
    from tests.support.counters import run_counters

    monkeypatch.setenv("METERAI_LEASE_SECONDS", "4")
    monkeypatch.setenv("METERAI_DATABASE", pg_url)
    tally = run_counters(tmp_path, sandbox, pg_url, counters=3, docs=9, kills=4, seed=7)
    assert tally.kills == 4
    assert (tally.done, tally.bought, tally.stamped_twice) == (9, 9, 0), tally.problems
    assert (tally.unverified, tally.wrong_folder) == (0, 0)


def test_sync_once_at_the_owner_waits_for_its_requests_stamped_elsewhere(
    tmp_path: Path,
    pg_url: str,
    sandbox: SandboxServer,
    admin: Admin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Escaped in the bench: the owner's ``sync --once`` ended at once while another counter
    held its requests, so nobody was left to export them when they came back verified."""
    import threading

    monkeypatch.setenv("METERAI_DATABASE", pg_url)
    first = _counter(tmp_path, "loket-1", sandbox)
    second = _counter(tmp_path, "loket-2", sandbox)
    ids = queue_documents(first, 2, tmp_path / "customer")
    box = Outbox.open(second)
    try:
        assert [r.id for r in box.due()] == ids  # loket-2 holds both before loket-1 starts
    finally:
        box.close()
    owner = threading.Thread(target=drain, args=(first,))
    owner.start()
    time.sleep(1.0)
    drain(second)
    owner.join(120)

    assert _states(first) == dict.fromkeys(ids, State.DONE)
    assert len(list((tmp_path / "customer" / "out").glob("*.pdf"))) == 2
