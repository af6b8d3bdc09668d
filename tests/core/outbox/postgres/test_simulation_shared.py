"""The seeded simulation (crashes at every protocol point, outages, a hostile provider)
against the shared PostgreSQL outbox. Restores of an older copy are SQLite's file-level
story (a server database is restored by its own tools), so they are left out here."""

from __future__ import annotations

import pytest

from meterai.outbox.postgres.address import ENV_VAR
from meterai.sync.simulation import run_seed
from tests.support.postgres import Cluster, drop_database, fresh_database


@pytest.mark.slow
def test_seeds_on_the_shared_database_buy_exactly_once(
    pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", pg_cluster.password)
    for seed in range(1000, 1003):
        url = fresh_database(pg_cluster)
        monkeypatch.setenv(ENV_VAR, url)
        result = run_seed(seed, requests=15, restores=False)
        drop_database(pg_cluster, url)
        assert not result.violations, (seed, result.violations[:3])
        assert result.bought == result.requests == result.done
        assert result.crashes > 0  # the run did crash at protocol points
