"""The shared database's schema: migrated once by racing counters, a newer one refused,
a queued request as immutable as in SQLite."""

from __future__ import annotations

import psycopg
import pytest

from meterai.errors import MigrationError
from meterai.outbox.postgres.address import (
    DatabaseUrl,
)
from meterai.outbox.postgres.connect import connect
from meterai.outbox.postgres.schema import LATEST, migrate, schema_version


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
