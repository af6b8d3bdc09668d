"""A migrated shared database per test, on the session's throw-away cluster; one sandbox
per test module for the files that drive counters through it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import psycopg_pool
import pytest

from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.connect import connect, open_pool
from meterai.outbox.postgres.schema import migrate
from meterai.sandbox import SandboxServer
from tests.support.sandbox import Admin


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path_factory.mktemp("provider")) as server:
        yield server


@pytest.fixture
def admin(sandbox: SandboxServer) -> Iterator[Admin]:
    """The module's sandbox, emptied and without faults for each test."""
    client = Admin(sandbox)
    client.reset()
    yield client
    client.faults({})
    client.http.close()


@pytest.fixture
def db_url(pg_url: str) -> DatabaseUrl:
    url = DatabaseUrl.parse(pg_url)
    with connect(url) as conn:
        migrate(conn, str(url))
    return url


@pytest.fixture
def conn(db_url: DatabaseUrl) -> Iterator[psycopg.Connection[Any]]:
    with connect(db_url) as c:
        yield c


@pytest.fixture
def pool(db_url: DatabaseUrl) -> Iterator[psycopg_pool.ConnectionPool]:
    p = open_pool(db_url)
    try:
        yield p
    finally:
        p.close()


def add_request(
    conn: psycopg.Connection[Any],
    *,
    state: str = "queued",
    at: float = 0.0,
    counter: str | None = None,
) -> int:
    """A request row as the store would write it (the document row first), taken in by
    ``counter``."""
    conn.execute(
        "INSERT INTO documents (sha256, size, added_at) VALUES ('d', 1, 0) ON CONFLICT DO NOTHING"
    )
    row = conn.execute(
        "INSERT INTO requests (state, doc_sha256, file_name, doc_type, created_at, updated_at,"
        " next_attempt_at, counter) VALUES (%s, 'd', 'a.pdf', '2', 0, 0, %s, %s) RETURNING id",
        [state, at, counter],
    ).fetchone()
    assert row is not None
    return int(row[0])
