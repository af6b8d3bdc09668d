"""What the provider told us last (its document types), kept for when it cannot be asked."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from meterai.outbox.backend import Backend


class ProviderCache:
    """The ``provider_cache`` table: a JSON value per key, with when it was fetched."""

    _db: Backend
    _clock: Callable[[], float]

    def cache_put(self, key: str, value: Any) -> None:
        with self._db.atomic():
            self._db.run(
                "INSERT INTO provider_cache (key, value, fetched_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                "fetched_at = excluded.fetched_at",
                [key, json.dumps(value), self._clock()],
            )

    def cache_get(self, key: str) -> Any | None:
        row = self._db.one("SELECT value FROM provider_cache WHERE key = ?", [key])
        return None if row is None else json.loads(row["value"])
