"""Shared fixtures: every test gets its own data dir and the Indonesian default language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meterai import i18n
from meterai.settings import Paths, resolve_paths


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.delenv("METERAI_HOME", raising=False)
    monkeypatch.setenv("METERAI_LANG", "id")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    i18n.set_language("id")
    yield
    i18n.set_language("id")


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return resolve_paths(tmp_path / "data")
