"""A keyring backend that records every use in the file named by ``KEYRING_SPY_LOG``.

Loaded with ``PYTHON_KEYRING_BACKEND=tests.support.keyring_spy.SpyKeyring`` in a child
process, it shows whether a command asked the keyring anything at all.
"""

from __future__ import annotations

import os

from keyring.backend import KeyringBackend


class SpyKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _record(self, what: str, service: str, username: str | None) -> None:
        with open(os.environ["KEYRING_SPY_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{what} {service} {username}\n")

    def get_password(self, service: str, username: str) -> str | None:
        self._record("get", service, username)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._record("set", service, username)

    def delete_password(self, service: str, username: str) -> None:
        self._record("delete", service, username)
