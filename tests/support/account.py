"""A provider with an account of its own, a keyring that really stores, and a disk search.

For the account tests of the CLI (``meterai profile``) and the GUI (Settings → Account):
the sandbox over HTTPS on its own port with the user ``pemungut``; keyrings.alt's file
backend (a test dependency only) in a folder of its own, read back by a fresh instance;
and the files that hold a secret, in clear or base64 (keyrings.alt's own encoding).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyrings.alt.file import PlaintextKeyring

from meterai.sandbox import SandboxServer

USER, PASSWORD = "pemungut", "rahasia-7"


@pytest.fixture(scope="module")
def account_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path_factory.mktemp("provider")) as server:
        with server.admin_client(timeout=30) as admin:
            made = admin.post(
                "/_sandbox/accounts", json={"user": USER, "password": PASSWORD, "balance": 7}
            )
            assert made.status_code == 200, made.text
        yield server


def file_keyring(folder: Path) -> PlaintextKeyring:
    backend = PlaintextKeyring()
    backend.file_path = str(folder / "keyring_pass.cfg")  # type: ignore[misc]
    return backend


ALT_BACKEND = "keyrings.alt.file.PlaintextKeyring"


@pytest.fixture
def alt_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """keyrings.alt's backend in a folder of its own, named as the user's choice (the app
    uses a plain-file backend only then); yields that folder."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", ALT_BACKEND)
    folder = tmp_path / "keyring"
    previous = keyring.get_keyring()
    keyring.set_keyring(file_keyring(folder))
    try:
        yield folder
    finally:
        keyring.set_keyring(previous)


def files_holding(folders: list[Path], secret: str) -> list[Path]:
    needles = [secret.encode(), base64.b64encode(secret.encode())]
    return [
        p
        for folder in folders
        for p in folder.rglob("*")
        if p.is_file() and any(n in p.read_bytes() for n in needles)
    ]
