"""The database setting's core (``outbox/postgres/setting.py``) and the window's pin on the
database it started with (``address.pinned``), on a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.outbox.postgres.address import ENV_VAR, DatabaseUrl, chosen_database, pinned
from meterai.outbox.postgres.setting import check_database, save_database
from meterai.settings import Settings, load_settings, resolve_paths
from tests.core.outbox.postgres.conftest import add_request


def test_a_database_in_use_is_described_by_its_requests_and_counters(db_url: DatabaseUrl) -> None:
    from meterai.outbox.postgres.connect import connect

    with connect(db_url) as conn:
        first, second = add_request(conn), add_request(conn)
        conn.execute("UPDATE requests SET counter = 'loket-1' WHERE id = %s", [first])
        conn.execute("UPDATE requests SET counter = 'loket-2' WHERE id = %s", [second])

    report = check_database(str(db_url), "")

    assert report.ok and report.requests == 2 and report.counters == ("loket-1", "loket-2")
    assert "2 requests, from the counters loket-1, loket-2" in report.message.text("en")


def test_a_bad_address_is_a_report_not_an_exception() -> None:
    report = check_database("postgresql://me:secret@host/db", "")
    assert not report.ok and report.message.id.startswith("The database address must not")


def test_the_window_keeps_the_database_it_started_with(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    paths = resolve_paths(tmp_path / "data")
    settings = Settings()
    with pinned(paths):
        save_database(paths, settings, pg_url, "")  # chosen while the window runs
        assert load_settings(paths).extra["database"] == str(DatabaseUrl.parse(pg_url))
        assert chosen_database(paths) is None  # still this computer's own file
    assert chosen_database(paths) == DatabaseUrl.parse(pg_url)  # the next start
    with pinned(paths):
        save_database(paths, settings, None, "")
        assert chosen_database(paths) == DatabaseUrl.parse(pg_url)
    assert chosen_database(paths) is None
