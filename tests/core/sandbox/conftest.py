from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meterai.sandbox import SandboxServer
from tests.support.api_client import ApiClient


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
def short_lived(tmp_path: Path) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path / "short", token_lifetime=0.6, retention=0.6) as server:
        yield server
