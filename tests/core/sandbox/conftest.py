from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meterai.sandbox import SandboxServer
from tests.support.api_client import ApiClient
from tests.support.clock import ManualClock


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path_factory.mktemp("sandbox"), max_file_bytes=3_000_000) as server:
        yield server


@pytest.fixture
def api(sandbox: SandboxServer) -> Iterator[ApiClient]:
    """A logged-in client on a freshly reset sandbox (state and faults)."""
    client = ApiClient(sandbox)
    assert client.http.post("/_sandbox/reset").status_code == 200
    client.login()
    yield client
    client.http.put("/_sandbox/faults", json={})
    client.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def timed(tmp_path: Path, clock: ManualClock) -> Iterator[SandboxServer]:
    """A sandbox whose token lifetime (a day) and result retention (72 hours) pass on
    ``clock``, so a test moves time on instead of sleeping through it."""
    with SandboxServer(tmp_path / "timed", clock=clock) as server:
        yield server
