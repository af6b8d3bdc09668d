"""The password: keyring, METERAI_PASSWORD, the sandbox default, a prompt; never a file."""

from __future__ import annotations

import keyring
import keyring.backend
import pytest

from meterai import credentials
from meterai.credentials import (
    CredentialsMissing,
    KeyringUnavailable,
    credentials_for,
    get_password,
    keyring_usable,
    service_name,
    store_password,
)
from meterai.settings import Profile
from tests.support.keyring import MemoryKeyring, memory_keyring, no_keyring

__all__ = ["memory_keyring", "no_keyring"]

PERURI = Profile(name="kiosk", kind="peruri", base_urls={}, user="pemungut")
SANDBOX = Profile(name="sandbox", kind="sandbox", user="demo")


def test_keyring_first(memory_keyring: MemoryKeyring) -> None:
    store_password(PERURI, "from-keyring")
    assert memory_keyring.store == {("meterai-desk:kiosk", "pemungut"): "from-keyring"}
    assert get_password(PERURI, environ={"METERAI_PASSWORD": "env"}) == "from-keyring"
    assert credentials_for(PERURI)() == ("pemungut", "from-keyring")


def test_env_when_the_keyring_has_no_entry(memory_keyring: MemoryKeyring) -> None:
    assert get_password(PERURI, environ={"METERAI_PASSWORD": "env"}, interactive=False) == "env"


def test_no_backend_falls_back_to_env_then_prompt(no_keyring: None) -> None:
    assert not keyring_usable()
    assert get_password(PERURI, environ={"METERAI_PASSWORD": "env"}) == "env"
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "typed"

    assert get_password(PERURI, environ={}, prompt=prompt, interactive=True) == "typed"
    assert "pemungut" in asked[0]


def test_no_backend_no_env_no_tty_is_a_clear_error(no_keyring: None) -> None:
    with pytest.raises(CredentialsMissing) as info:
        get_password(PERURI, environ={}, interactive=False)
    assert "METERAI_PASSWORD" in str(info.value)
    with pytest.raises(KeyringUnavailable):
        store_password(PERURI, "x")


def test_sandbox_defaults_to_the_public_test_password(no_keyring: None) -> None:
    assert get_password(SANDBOX, environ={}, interactive=False) == "demo"
    unnamed = Profile(name="sb2", kind="sandbox")
    assert credentials_for(unnamed, environ={})() == ("demo", "demo")


def test_empty_chainer_counts_as_no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.backends import chainer

    previous = keyring.get_keyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [], raising=False)
    keyring.set_keyring(chainer.ChainerBackend())
    try:
        assert not keyring_usable()
    finally:
        keyring.set_keyring(previous)


def test_service_name() -> None:
    assert service_name("sandbox") == "meterai-desk:sandbox"


def test_module_never_reads_files() -> None:
    source = credentials.__file__
    with open(source, encoding="utf-8") as fh:
        text = fh.read()
    assert "open(" not in text and "read_text" not in text
