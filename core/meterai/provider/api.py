"""The seam between the sync engine and a provider: what any adapter must offer.

The engine depends on this protocol, not on :class:`ProviderClient`, so another
distributor's API can plug in later and a seeded simulation can pass a fake.
Every failure an implementation raises should be a
``meterai.provider.errors.ProviderFailure``, so the engine can switch on its
``kind`` and ``maybe_committed``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

from meterai.provider.schemas import (
    Balance,
    DocType,
    SerialNumber,
    SigningParams,
    SnListEntry,
    SnStatus,
    StampRequestFields,
    StampResult,
    UploadResult,
)

Progress = Callable[[int, int | None], None]


class ProviderApi(Protocol):
    def doc_types(self) -> list[DocType]: ...

    def balance(self) -> Balance: ...

    def upload(self, path: Path, progress: Progress | None = None) -> UploadResult: ...

    def request_serial(self, fields: StampRequestFields) -> SerialNumber: ...

    def reassign_serial(self, sn: str, *, nodoc: str, namadoc: str, namafile: str) -> None: ...

    def stamp(self, params: SigningParams) -> StampResult: ...

    def download(
        self, url_or_name: str, dest: IO[bytes], progress: Progress | None = None
    ) -> int: ...

    def sn_status(self, sn: str) -> SnStatus | None: ...

    def sn_list(self, user_id: str | None = None) -> list[SnListEntry]: ...
