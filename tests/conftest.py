"""Shared fixtures: every test gets its own data dir and the Indonesian default language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meterai import i18n
from meterai.settings import Paths, resolve_paths

# pg_cluster / pg_url: a throw-away PostgreSQL server (skipped with a reason off CI only).
pytest_plugins = ["tests.support.postgres"]


def pytest_configure(config: pytest.Config) -> None:
    """No keyring unless a test sets one: keyrings.alt (a test dependency) would otherwise
    be picked by priority and write passwords to a plain file, here and in children."""
    import os

    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.delenv("METERAI_HOME", raising=False)
    monkeypatch.setenv("METERAI_LANG", "id")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    i18n.set_language("id")
    yield
    i18n.set_language("id")


@pytest.fixture
def in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    """The words a user sees, in English: a test asserts on the msgid, not on a translation
    that a translator may improve (issue 16 item 10). Indonesian stays the default."""
    monkeypatch.setenv("METERAI_LANG", "en")
    i18n.set_language("en")


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return resolve_paths(tmp_path / "data")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Tear Qt down in order before the interpreter does it in no order.

    Widgets and Qt objects that tests left for the garbage collector would otherwise be
    freed during interpreter finalization, after the QApplication, and PySide6 aborts
    there (none_dealloc), turning a green run into exit code 134.
    """
    import gc
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.collect()
    import shiboken6

    shiboken6.delete(app)
    gc.collect()
