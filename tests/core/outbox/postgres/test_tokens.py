"""One login per account across counters: three clients, three connections, one token."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg_pool
import pytest

from meterai.outbox.postgres.address import DatabaseUrl
from meterai.outbox.postgres.connect import open_pool
from meterai.outbox.postgres.tokens import SharedToken, account_key
from meterai.provider import ProviderClient
from meterai.sandbox import SandboxServer
from meterai.settings import SERVICES

COUNTERS = 3


class Counters:
    """``COUNTERS`` provider clients, each with its own pool (so its own database
    sessions, as separate PCs would have), sharing the account's token."""

    def __init__(self, sandbox: SandboxServer, url: DatabaseUrl) -> None:
        self.lookups = 0
        self._lock = threading.Lock()
        self.pools: list[psycopg_pool.ConnectionPool] = []
        self.clients: list[ProviderClient] = []
        account = account_key(sandbox.base_url, "demo")
        for _ in range(COUNTERS):
            pool = open_pool(url)
            self.pools.append(pool)
            self.clients.append(
                ProviderClient(
                    {s: sandbox.base_url for s in SERVICES},
                    tls_ca_file=str(sandbox.ca_file),
                    credentials=self._credentials,
                    token_share=SharedToken(pool, account),
                )
            )
        self.share = SharedToken(self.pools[0], account)

    def _credentials(self) -> tuple[str, str]:
        """Called once per login call to the provider, whichever counter makes it."""
        with self._lock:
            self.lookups += 1
        return "demo", "demo"

    def all_at_once(self, call: Callable[[ProviderClient], object]) -> list[object]:
        with ThreadPoolExecutor(COUNTERS * 4) as workers:
            return list(workers.map(call, self.clients * 4))

    def close(self) -> None:
        for client in self.clients:
            client.close()
        for pool in self.pools:
            pool.close()


@pytest.fixture
def counters(sandbox: SandboxServer, db_url: DatabaseUrl) -> Iterator[Counters]:
    admin = sandbox.admin_client(timeout=30)
    admin.post("/_sandbox/reset")
    # A slow login widens the window in which every counter finds no token.
    admin.put(
        "/_sandbox/faults",
        json={"rules": [{"endpoint": "login", "fault": "latency", "seconds": 0.5}]},
    )
    group = Counters(sandbox, db_url)
    yield group
    group.close()
    admin.put("/_sandbox/faults", json={})
    admin.close()


def test_counters_starting_together_log_in_once(counters: Counters) -> None:
    balances = counters.all_at_once(lambda c: c.balance().saldo)
    assert len(set(balances)) == 1  # each call was accepted by the real sandbox
    assert counters.lookups == 1
    assert sum(c.session.logins for c in counters.clients) == 1
    assert counters.share.logins() == 1


def test_an_expired_token_is_refreshed_by_one_counter(
    counters: Counters, sandbox: SandboxServer
) -> None:
    counters.all_at_once(lambda c: c.balance())
    with sandbox.admin_client(timeout=30) as admin:
        admin.post("/_sandbox/reset")  # every token issued so far is refused from now on
    counters.all_at_once(lambda c: c.balance())
    assert counters.lookups == 2
    assert counters.share.logins() == 2


def test_a_restarted_counter_reuses_the_shared_token(
    counters: Counters, sandbox: SandboxServer, db_url: DatabaseUrl
) -> None:
    counters.clients[0].balance()
    late = Counters(sandbox, db_url)  # three more counters, started after the login
    try:
        late.all_at_once(lambda c: c.balance())
        assert late.lookups == 0
    finally:
        late.close()
    assert counters.share.logins() == 1
