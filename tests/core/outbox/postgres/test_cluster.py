"""The test cluster itself: a real server, reached with a password kept out of the URL."""

from __future__ import annotations

import os

import psutil
import pytest

from meterai.outbox.postgres.address import (
    DatabaseUrl,
    DatabaseUrlInvalid,
    PasswordInUrl,
    is_database_url,
)
from meterai.outbox.postgres.connect import connect
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


def test_an_address_with_a_password_is_refused() -> None:
    with pytest.raises(PasswordInUrl):
        DatabaseUrl.parse("postgresql://kasir:rahasia@10.0.0.5/meterai")
    with pytest.raises(DatabaseUrlInvalid):
        DatabaseUrl.parse("postgresql://10.0.0.5/meterai")
    parsed = DatabaseUrl.parse("postgres://kasir@10.0.0.5/meterai")
    assert str(parsed) == "postgresql://kasir@10.0.0.5:5432/meterai"
    assert is_database_url("postgresql://kasir@h/db") and not is_database_url("/data/outbox.db")
