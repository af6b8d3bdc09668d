"""The one provider seam: what the sync engine needs from any stamping service.

Peruri's adapter (``meterai.provider.peruri``) and the simulation's in-memory provider
both implement it, so the engine's decisions are tested at simulation speed and run
unchanged against the real service; another distributor's API plugs in as one more
module implementing it. Failures are ``meterai.errors.ProviderError`` subclasses, whose
``kind`` and ``maybe_committed`` carry the decision. The orders speak the outbox's
words (``nodoc``, ``namafile``: the columns the engine stores); nothing here names a
path, a status word or a code of any provider.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

Progress = Callable[[int, int | None], None]
"""Bytes done so far and the total when known: uploads, downloads, the GUI's bars."""


@dataclass(frozen=True)
class SerialOrder:
    """The paid stampv2 call's fields; ``namafile`` carries the request's purchase tag."""

    file_id: str
    doc_type: str
    namafile: str
    nodoc: str
    tgldoc: str
    nilaidoc: int
    namejidentitas: str = ""
    noidentitas: str = ""
    namedipungut: str = ""


@dataclass(frozen=True)
class StampOrder:
    file_id: str
    sn: str
    page: int
    rect: tuple[float, float, float, float]
    retry: bool
    reason: str
    location: str


@dataclass(frozen=True)
class SerialInfo:
    sn: str
    stamped: bool
    namafile: str = ""
    nodoc: str = ""
    file: str = ""
    """Where the provider says the stamped result is, when it says."""


class Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


class Provider(Protocol):
    def upload(self, path: Path, progress: Progress) -> str: ...

    def buy_serial(self, order: SerialOrder) -> str: ...

    def reassign_serial(self, sn: str, *, nodoc: str, doc_type: str, namafile: str) -> None: ...

    def stamp(self, order: StampOrder) -> str: ...

    def download(self, url: str, sink: Sink, progress: Progress) -> None: ...

    def serials(self) -> list[SerialInfo]: ...

    def serial_status(self, sn: str) -> SerialInfo | None: ...

    def result_url(self, file_id: str) -> str:
        """Where the stamped result of an uploaded file is, derived from its file id."""
        ...
