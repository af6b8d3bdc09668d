"""Typed requests and results of the provider API (DESIGN section 3).

Public integrations disagree on some names (``statusCode`` or ``status``, ``sn``
or ``serialNumber``, a list in ``result`` or in ``result.data``); the parsers
accept every variant seen, so the engine only ever sees these dataclasses. A
parser that cannot find what it needs raises :class:`ShapeError`, which the
client turns into a ``MalformedResponse``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

SnState = Literal["STAMP", "NOTSTAMP"]

SHAREFOLDER = "/sharefolder"
SERIAL_FORMAT = re.compile(r"[A-Z0-9]{22}")
"""Serial numbers as seen in the field: 22 characters of A-Z and 0-9, nothing else."""
FILE_ID_FORMAT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""A provider file id becomes part of share paths and URLs: no separators, no ``..``."""
SIGNER_PROFILE = "emeteraicertificateSigner"


class ShapeError(ValueError):
    """The JSON parsed but does not have the documented shape."""


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

    def to_json(self) -> dict[str, Any]:
        return {
            "isUpload": True,
            "idfile": self.idfile,
            "namadoc": self.namadoc,
            "namafile": self.namafile,
            "nilaidoc": str(self.nilaidoc),
            "namejidentitas": self.namejidentitas,
            "noidentitas": self.noidentitas,
            "namedipungut": self.namedipungut,
            "snOnly": False,
            "nodoc": self.nodoc,
            "tgldoc": self.tgldoc.isoformat(),
        }


@dataclass(frozen=True)
class SigningParams:
    """The docSigningZ body. The rectangle is in PDF points, origin bottom-left; page is 1-based.

    ``src``/``dest`` are derived from the uploaded file's id, because that is
    where the provider's adapter put the upload; ``retry`` must be set for every
    attempt after the first one with the same SN.
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

    @property
    def src(self) -> str:
        return f"{SHAREFOLDER}/doc_{self.file_id}.pdf"

    @property
    def dest(self) -> str:
        return f"{SHAREFOLDER}/final_{self.file_id}.pdf"

    def to_json(self) -> dict[str, Any]:
        llx, lly, urx, ury = self.rect
        return {
            "certificatelevel": "NOT_CERTIFIED",
            "src": self.src,
            "dest": self.dest,
            "refToken": self.sn,
            "spesimenPath": f"{SHAREFOLDER}/{self.specimen}",
            "profileName": SIGNER_PROFILE,
            "reason": self.reason,
            "location": self.location,
            "visLLX": llx,
            "visLLY": lly,
            "visURX": urx,
            "visURY": ury,
            "visSignaturePage": self.page,
            "retryFlag": "1" if self.retry else "0",
            "onPrem": False,
            "docId": self.doc_id or self.file_id,
        }


# --- parsing -----------------------------------------------------------------


def status_code(body: Mapping[str, Any]) -> str | None:
    """``statusCode`` or ``status``, normalised to the two-digit string form."""
    for key in ("statusCode", "status"):
        if key in body:
            value = body[key]
            if isinstance(value, bool):
                return None
            if isinstance(value, int):
                return f"{value:02d}"
            return str(value)
    return None


def _get(obj: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    for name in names:
        if name in obj and obj[name] is not None:
            return obj[name]
    return default


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ShapeError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def _text(obj: Mapping[str, Any], *names: str, required: bool = True) -> str:
    value = _get(obj, *names)
    if value is None or isinstance(value, Mapping | list):
        if required:
            raise ShapeError(f"missing {names[0]!r}")
        return ""
    return str(value)


def _int(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name)
    if isinstance(value, bool) or value is None:
        raise ShapeError(f"missing {name!r}")
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise ShapeError(f"{name!r} is not a number: {value!r}") from exc


def _state(value: str) -> SnState:
    upper = value.strip().upper().replace("_", "").replace(" ", "")
    if upper == "STAMP":
        return "STAMP"
    if upper == "NOTSTAMP":
        return "NOTSTAMP"
    raise ShapeError(f"unknown serial-number status {value!r}")


def _records(result: Any) -> Sequence[Any]:
    if isinstance(result, list):
        return result
    if isinstance(result, Mapping):
        for key in ("data", "rows", "items", "list"):
            if isinstance(result.get(key), list):
                return list(result[key])
    raise ShapeError("expected a list of records")


def serial_number(value: str) -> str:
    """``value`` if it has the provider's serial-number format, else a :class:`ShapeError`.

    A serial number is stored, put in URLs and in file names of the provider's share:
    an answer carrying ``../../x`` or any other shape is a broken or hostile answer,
    refused before anything keeps it.
    """
    if not SERIAL_FORMAT.fullmatch(value):
        raise ShapeError(f"serial number {value[:40]!r} is not 22 characters of A-Z and 0-9")
    return value


def file_id(value: str) -> str:
    """``value`` if it can safely name ``doc_<id>.pdf`` and ``final_<id>.pdf``."""
    if not FILE_ID_FORMAT.fullmatch(value) or ".." in value:
        raise ShapeError(f"file id {value[:40]!r} is not a plain name")
    return value


_SHARE_NAME = re.compile(r"(?:doc|final)_(?P<id>.+)\.pdf", re.IGNORECASE)


def result_name(file: str) -> str:
    """``final_<id>.pdf`` for what an SN record's ``file`` names, or "" when it names none.

    Integrations report the field as the uploaded ``doc_<id>.pdf``, the result
    ``final_<id>.pdf``, a share path or URL ending in either, or the bare id; all of
    them name the provider's file id, which is what the result is derived from. A
    document's own name (``surat.pdf``) names no file id and gives "".
    """
    last = file.strip().rsplit("/", 1)[-1].split("?", 1)[0]
    match = _SHARE_NAME.fullmatch(last)
    candidate = match.group("id") if match else last
    if not candidate or candidate.lower().endswith(".pdf"):
        return ""
    try:
        return f"final_{file_id(candidate)}.pdf"
    except ShapeError:
        return ""


def parse_login(body: Mapping[str, Any]) -> LoginResult:
    token = _text(body, "token")
    if not token:
        raise ShapeError("empty token")
    try:
        user = body["result"]["data"]["login"]["user"]
    except (KeyError, TypeError) as exc:
        raise ShapeError("missing result.data.login.user") from exc
    user = _obj(user, "user")
    return LoginResult(
        token=token,
        user_id=_text(user, "id"),
        first_name=_text(user, "firstName", "first_name", "name", required=False),
    )


def parse_doc_types(body: Mapping[str, Any]) -> list[DocType]:
    types = []
    for item in _records(body.get("result")):
        row = _obj(item, "jenisdoc")
        types.append(
            DocType(
                id=_text(row, "id"),
                kode=_text(row, "kode", "code"),
                nama=_text(row, "nama", "name", required=False),
            )
        )
    return types


def parse_balance(body: Mapping[str, Any]) -> Balance:
    result = _obj(body.get("result"), "result")
    return Balance(saldo=_int(result, "saldo"), notstamp=_int(result, "notstamp"))


def parse_upload(body: Mapping[str, Any]) -> UploadResult:
    source = body if "id" in body else _obj(body.get("result"), "result")
    return UploadResult(
        file_id=file_id(_text(source, "id")), name=_text(source, "name", required=False)
    )


def parse_serial(body: Mapping[str, Any]) -> SerialNumber:
    result = _obj(body.get("result"), "result")
    return SerialNumber(
        sn=serial_number(_text(result, "sn", "serialNumber")),
        filename_qr=_text(result, "filenameQR", "filenameQr", "filename_qr", required=False),
        image=_text(result, "image", required=False),
    )


def parse_stamp(body: Mapping[str, Any]) -> StampResult:
    url = _text(body, "urlFile", "urlfile", "url_file")
    if not url:
        raise ShapeError("empty urlFile")
    return StampResult(url_file=url)


def _entry(row: Mapping[str, Any]) -> SnListEntry:
    return SnListEntry(
        sn=serial_number(_text(row, "sn", "serialNumber", "serial_number", "serialnumber")),
        status=_state(_text(row, "status", "statusStamp", "status_stamp")),
        nodoc=_text(row, "nodoc", "noDoc", "no_doc", required=False),
        namafile=_text(row, "namafile", "namaFile", "fileName", "filename", required=False),
        namadoc=_text(row, "namadoc", "namaDoc", "jenisdoc", required=False),
        file=_text(row, "file", "urlFile", required=False),
        updated=_text(row, "tglupdate", "tglUpdate", "updated", "updatedAt", required=False),
        idfile=_text(row, "idfile", "idFile", "fileId", "file_id", required=False),
    )


def parse_sn_status(body: Mapping[str, Any], sn: str) -> SnStatus | None:
    """The record for ``sn``, or None when the provider does not know it."""
    result = body.get("result")
    if isinstance(result, Mapping) and str(result.get("total", "")).strip() == "0":
        return None
    for item in _records(result):
        row = _obj(item, "record")
        found = _text(row, "sn", "serialNumber", "serial_number", required=False)
        if found and found != sn:
            continue
        entry = _entry({**row, "sn": sn})
        return SnStatus(sn=sn, status=entry.status, file=entry.file, updated=entry.updated)
    return None


def parse_sn_list(body: Mapping[str, Any]) -> list[SnListEntry]:
    result = body.get("result", body.get("data"))
    if result is None:
        return []
    return [_entry(_obj(item, "record")) for item in _records(result)]
