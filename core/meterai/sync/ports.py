"""What the engine needs from the provider, as a protocol.

The real adapter (``meterai.provider``) and the simulation's in-memory provider both
implement it, so the engine's decisions are tested at simulation speed and run
unchanged against the real service. Failures are ``ProviderError`` subclasses,
whose ``kind`` and ``maybe_committed`` carry the decision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

Progress = Callable[[int, int | None], None]


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

    def result_url(self, file_id: str) -> str: ...
