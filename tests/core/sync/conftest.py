"""The sync tests' fixtures: a real sandbox over HTTPS on loopback, data dirs pointing at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.sandbox import SandboxServer
from meterai.settings import Paths, resolve_paths
from tests.support.sandbox import admin, point_at, provider

__all__ = ["admin", "provider"]


@pytest.fixture
def client_paths(tmp_path: Path, provider: SandboxServer) -> Paths:
    paths = resolve_paths(tmp_path / "client")
    point_at(paths, provider)
    return paths
