"""Typed requests and results of the provider client.

``meterai.provider.peruri`` turns these into the provider's JSON and back (it knows
the field names and their variants), so the client's callers only ever see these
dataclasses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

SnState = Literal["STAMP", "NOTSTAMP"]


@dataclass(frozen=True)
class LoginResult:
    token: str = field(repr=False)
    user_id: str
    first_name: str


@dataclass(frozen=True)
class DocType:
    id: str
    kode: str
    nama: str


@dataclass(frozen=True)
class Balance:
    saldo: int
    notstamp: int


@dataclass(frozen=True)
class UploadResult:
    file_id: str
    name: str


@dataclass(frozen=True)
class SerialNumber:
    sn: str
    filename_qr: str
    image: str = field(repr=False)
    """The QR specimen as the provider sent it (base64 PNG); kept for display only."""


@dataclass(frozen=True)
class StampResult:
    url_file: str


@dataclass(frozen=True)
class SnStatus:
    sn: str
    status: SnState
    file: str
    updated: str


@dataclass(frozen=True)
class SnListEntry:
    """One serial number the account bought; ``nodoc``/``namafile`` carry the engine's tag."""

    sn: str
    status: SnState
    nodoc: str = ""
    namafile: str = ""
    namadoc: str = ""
    file: str = ""
    updated: str = ""
    idfile: str = ""
    """The file id the serial number was bought for (the stamped file may differ)."""


@dataclass(frozen=True)
class StampRequestFields:
    """The body of the paid stampv2 call, minus the constants ``isUpload`` and ``snOnly``."""

    idfile: str
    namadoc: str
    """The jenis dokumen *kode* (``"4b"``), not its id or name."""
    namafile: str
    nodoc: str
    tgldoc: dt.date
    nilaidoc: int = 10000
    namejidentitas: str = ""
    noidentitas: str = ""
    namedipungut: str = ""


@dataclass(frozen=True)
class SigningParams:
    """What to sign where. The rectangle is in PDF points, origin bottom-left; page is
    1-based; ``retry`` must be set for every attempt after the first one with the same SN.
    """

    file_id: str
    sn: str
    specimen: str
    """``filenameQR`` from the serial-number answer: the stamp image on the share."""
    page: int
    rect: tuple[float, float, float, float]
    reason: str
    location: str
    retry: bool = False
    doc_id: str = ""

    def __post_init__(self) -> None:
        llx, lly, urx, ury = self.rect
        if self.page < 1:
            raise ValueError(f"page is 1-based, got {self.page}")
        if not (urx > llx and ury > lly):
            raise ValueError(f"empty or inverted stamp rectangle {self.rect}")
