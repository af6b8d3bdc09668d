"""The sync tests' fixtures: a real sandbox over HTTPS on loopback, data dirs pointing at it."""

from __future__ import annotations

from tests.support.sandbox import admin, client_paths, provider

__all__ = ["admin", "client_paths", "provider"]
