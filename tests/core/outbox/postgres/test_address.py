"""A shared database's address: parsed strictly, never holding a password, chosen per folder."""

from __future__ import annotations

import pytest

from meterai.outbox.postgres.address import (
    DatabaseUrl,
    DatabaseUrlInvalid,
    PasswordInUrl,
    chosen_database,
    is_database_url,
)
from meterai.settings import Paths, Settings, save_settings


def test_an_address_reads_back_with_the_default_port() -> None:
    url = DatabaseUrl.parse("postgres://kasir@db.loket.lan/meterai")
    assert url == DatabaseUrl("kasir", "db.loket.lan", 5432, "meterai")
    assert str(url) == "postgresql://kasir@db.loket.lan:5432/meterai"
    assert DatabaseUrl.parse(str(url)) == url


def test_escaped_names_are_unescaped() -> None:
    url = DatabaseUrl.parse("postgresql://kasir%40pt@127.0.0.1:6543/meterai%20desk")
    assert (url.user, url.port, url.dbname) == ("kasir@pt", 6543, "meterai desk")
    assert url.keyring_user == "kasir@pt@127.0.0.1:6543/meterai desk"


def test_a_password_in_the_address_is_refused() -> None:
    """It would be kept in plain text in the settings and printed in logs."""
    with pytest.raises(PasswordInUrl):
        DatabaseUrl.parse("postgresql://kasir:rahasia@127.0.0.1/meterai")


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("mysql://kasir@127.0.0.1/meterai", "postgresql://"),
        ("postgresql://kasir@127.0.0.1:port/meterai", "port"),
        ("postgresql://127.0.0.1/meterai", "user, host and database"),
        ("postgresql://kasir@127.0.0.1/", "user, host and database"),
    ],
)
def test_an_incomplete_address_says_what_is_missing(text: str, detail: str) -> None:
    with pytest.raises(DatabaseUrlInvalid) as caught:
        DatabaseUrl.parse(text)
    assert detail in str(caught.value)


def test_only_postgresql_addresses_are_shared_databases() -> None:
    assert is_database_url("postgresql://a@b/c") and is_database_url("postgres://a@b/c")
    assert not is_database_url("sqlite") and not is_database_url("") and not is_database_url(None)


def test_a_folder_uses_its_own_file_unless_told_otherwise(
    paths: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("METERAI_DATABASE", raising=False)
    assert chosen_database(paths) is None
    settings = Settings(extra={"database": "postgresql://kasir@127.0.0.1/meterai"})
    save_settings(paths, settings)
    assert chosen_database(paths) == DatabaseUrl("kasir", "127.0.0.1", 5432, "meterai")
    monkeypatch.setenv("METERAI_DATABASE", "sqlite")
    assert chosen_database(paths) is None, "the environment wins over the setting"
