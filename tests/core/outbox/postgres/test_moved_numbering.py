"""End to end: a counter dies in the paid call, its SQLite outbox moves to PostgreSQL,
and the request that was in ``numbering`` is reconciled there by its tag, not bought again.

The provider sold the serial number and the answer never reached the outbox (the process
was killed right after the call, as a power cut would); ``meterai outbox migrate`` moves
the outbox; then a counter on the shared database finds the sale in the provider's list by
the request's tag and carries on with it. Real sandbox over HTTPS, real SQLite file, real
PostgreSQL, real ``meterai`` processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.outbox import Outbox, State
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, resolve_paths
from tests.support.cli import run_in_process
from tests.support.sandbox import Admin, drain, point_at, queue_documents
from tests.support.torture_kit import run_sync


def _rows(paths: Paths) -> dict[int, tuple[State, str | None]]:
    box = Outbox.open(paths)
    try:
        return {r.id: (r.state, r.sn) for r in box.requests()}
    finally:
        box.close()


@pytest.mark.slow
def test_a_request_moved_while_numbering_is_reconciled_on_postgres_not_bought_again(
    tmp_path: Path,
    pg_url: str,
    sandbox: SandboxServer,
    admin: Admin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("METERAI_DATABASE", raising=False)
    paths = resolve_paths(tmp_path / "loket-1")
    point_at(paths, sandbox)
    paths.data_dir.joinpath("counter-name").write_text("loket-1\n")
    (buying,) = queue_documents(paths, 1, tmp_path / "morning")

    run_sync(paths, crash_at="buy:after_call")  # killed with the serial number sold

    (sold,) = admin.serials()
    assert _rows(paths) == {buying: (State.NUMBERING, None)}
    (waiting,) = queue_documents(paths, 1, tmp_path / "afternoon")

    code, _out, err = run_in_process(paths, "outbox", "migrate", "--to", pg_url)
    assert code == 0, err
    monkeypatch.setenv("METERAI_DATABASE", pg_url)
    assert _rows(paths) == {buying: (State.NUMBERING, None), waiting: (State.QUEUED, None)}

    other = resolve_paths(tmp_path / "loket-2")  # any counter may reconcile it
    point_at(other, sandbox)
    other.data_dir.joinpath("counter-name").write_text("loket-2\n")
    drain(other)
    drain(paths)  # the owner exports its customers' results

    rows = _rows(paths)
    assert rows[buying] == (State.DONE, sold["sn"])
    assert rows[waiting][0] == State.DONE
    assert len(admin.serials()) == 2  # one per document: the sold one was not bought again
    box = Outbox.open(paths)
    try:
        details = [e.detail or "" for e in box.journal(buying)]
    finally:
        box.close()
    assert any(f"recovered serial number {sold['sn']}" in d for d in details), details
