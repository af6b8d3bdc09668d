"""The test cluster itself: a real server, reached with a password kept out of the URL."""

from __future__ import annotations

import os

import psutil
import psycopg
import pytest

from meterai.errors import MigrationError
from meterai.outbox.postgres.address import (
    DatabaseUrl,
    DatabaseUrlInvalid,
    PasswordInUrl,
    is_database_url,
)
from meterai.outbox.postgres.connect import DatabaseUnavailable, connect, open_pool
from meterai.outbox.postgres.schema import LATEST, migrate, schema_version
from tests.support.postgres import Cluster


def test_the_server_runs_as_an_unprivileged_user(pg_cluster: Cluster, pg_url: str) -> None:
    with connect(DatabaseUrl.parse(pg_url)) as conn:
        row = conn.execute("SELECT pg_backend_pid(), version()").fetchone()
        assert row is not None and "PostgreSQL" in row[1]
        # Read while connected: the backend process ends with its connection.
        uid = psutil.Process(int(row[0])).uids().real
    assert uid != 0, "PostgreSQL refuses root: the fixture must drop it"
    if os.geteuid() == 0:
        assert uid != os.geteuid()


def test_without_the_password_the_server_refuses(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD")
    monkeypatch.setenv("PGPASSFILE", os.devnull)
    with pytest.raises(DatabaseUnavailable) as caught:
        connect(DatabaseUrl.parse(pg_url)).close()
    assert "password" in str(caught.value)


def test_an_address_with_a_password_is_refused() -> None:
    with pytest.raises(PasswordInUrl):
        DatabaseUrl.parse("postgresql://kasir:rahasia@10.0.0.5/meterai")
    with pytest.raises(DatabaseUrlInvalid):
        DatabaseUrl.parse("postgresql://10.0.0.5/meterai")
    parsed = DatabaseUrl.parse("postgres://kasir@10.0.0.5/meterai")
    assert str(parsed) == "postgresql://kasir@10.0.0.5:5432/meterai"
    assert is_database_url("postgresql://kasir@h/db") and not is_database_url("/data/outbox.db")


def test_an_unreachable_server_is_a_clear_error() -> None:
    url = DatabaseUrl.parse("postgresql://kasir@127.0.0.1:1/meterai")
    with pytest.raises(DatabaseUnavailable) as caught:
        open_pool(url)
    assert "127.0.0.1" in caught.value.user_message()


def test_migrations_run_once_and_a_newer_schema_is_refused_untouched(pg_url: str) -> None:
    url = DatabaseUrl.parse(pg_url)
    with connect(url) as conn:
        assert schema_version(conn) == 0
        assert migrate(conn, str(url)) == LATEST
        assert migrate(conn, str(url)) == LATEST
        conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", [str(LATEST + 1)])
        before = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname='public'").fetchone()
        with pytest.raises(MigrationError):
            migrate(conn, str(url))
        after = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname='public'").fetchone()
        assert before == after


def test_counters_starting_together_migrate_once(pg_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url = DatabaseUrl.parse(pg_url)

    def start() -> int:
        with connect(url) as conn:
            return migrate(conn, str(url))

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda _: start(), range(4))) == [LATEST] * 4
    with connect(url) as conn:
        ids = conn.execute("SELECT count(*) FROM meta WHERE key = 'install_id'").fetchone()
    assert ids == (1,)


def test_a_queued_request_is_immutable_as_in_sqlite(pg_url: str) -> None:
    from tests.core.outbox.postgres.conftest import add_request

    url = DatabaseUrl.parse(pg_url)
    with connect(url) as conn:
        migrate(conn, str(url))
        request_id = add_request(conn)
        with pytest.raises(psycopg.errors.RaiseException, match="immutable"):
            conn.execute("UPDATE requests SET nodoc = 'other' WHERE id = %s", [request_id])
        conn.execute("UPDATE requests SET attempts = 3 WHERE id = %s", [request_id])
