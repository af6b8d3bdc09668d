"""The password: keyring, METERAI_PASSWORD, the sandbox default, a prompt; never a file."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backend
import pytest
from keyring.backends import fail

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

PERURI = Profile(name="kiosk", kind="peruri", base_urls={}, user="pemungut")
SANDBOX = Profile(name="sandbox", kind="sandbox", user="demo")


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


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
