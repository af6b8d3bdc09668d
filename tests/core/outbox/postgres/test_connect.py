"""Connecting to the shared database: the password from the keyring only, a clear error
when the server cannot be reached."""

from __future__ import annotations

import os

import pytest

from meterai.outbox.postgres.address import (
    DatabaseUrl,
)
from meterai.outbox.postgres.connect import DatabaseUnavailable, connect, open_pool


def test_without_the_password_the_server_refuses(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD")
    monkeypatch.setenv("PGPASSFILE", os.devnull)
    with pytest.raises(DatabaseUnavailable) as caught:
        connect(DatabaseUrl.parse(pg_url)).close()
    assert "password" in str(caught.value)


def test_an_unreachable_server_is_a_clear_error() -> None:
    url = DatabaseUrl.parse("postgresql://kasir@127.0.0.1:1/meterai")
    with pytest.raises(DatabaseUnavailable) as caught:
        open_pool(url)
    assert "127.0.0.1" in caught.value.user_message()
