"""Everything that is Peruri's own, in one place: paths, names, fields, codes, the adapter.

The e-Meterai API as integrators use it (DESIGN section 3): which service and path
each call goes to, how files on the provider's share are named, the JSON fields of
requests and answers (public integrations disagree on some names, ``statusCode`` or
``status``, ``sn`` or ``serialNumber``, a list in ``result`` or in ``result.data``, so
the parsers accept every variant seen), the status and error codes, and
:class:`PeruriProvider`, the adapter that gives the engine the provider port
(``meterai.provider.ports.Provider``). The HTTP client, the error mapping and the
sandbox (which plays this provider) take all of these from here; another
distributor's API would be one more module like this one.

A parser that cannot find what it needs raises :class:`ShapeError`, which the client
turns into a ``MalformedResponse``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import quote

from meterai.i18n import N_
from meterai.provider.ports import Progress, SerialInfo, SerialOrder, Sink, StampOrder
from meterai.provider.schemas import (
    Balance,
    DocType,
    LoginResult,
    SerialNumber,
    SigningParams,
    SnListEntry,
    SnState,
    SnStatus,
    StampRequestFields,
    StampResult,
    UploadResult,
)

if TYPE_CHECKING:
    from pathlib import Path

    from meterai.provider.client import ProviderClient


class ShapeError(ValueError):
    """The JSON parsed but does not have the documented shape."""


# --- endpoints -----------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One call of the API: the sandbox routes and names its faults from these too."""

    name: str
    """The call's name in fault rules (``{"endpoint": "stampv2", ...}``) and logs."""
    service: str
    """Which of the four base URLs (``settings.SERVICES``) serves it."""
    method: str
    path: str
    """With ``{placeholders}`` for the parts taken from the call (Starlette's syntax)."""

    def path_for(self, **params: str) -> str:
        """The path with each placeholder filled in, quoted so it stays one segment."""
        return self.path.format(**{k: quote(v, safe="") for k, v in params.items()})


LOGIN = Endpoint("login", "backendservice", "POST", "/api/users/login")
DOC_TYPES = Endpoint("jenisdoc", "stampv2", "GET", "/jenisdoc")
BALANCE = Endpoint("saldopos", "backendservice", "POST", "/function/saldopos")
UPLOAD = Endpoint("uploaddoc2", "fileupload", "POST", "/uploaddoc2")
BUY_SERIAL = Endpoint("stampv2", "stampv2", "POST", "/chanel/stampv2")
"""THE PAID CALL: it spends a stamp and is not idempotent."""
REASSIGN_SERIAL = Endpoint("update-data", "stampv2", "POST", "/stamping/update-data/{sn}")
STAMP = Endpoint("docSigningZ", "stampservice", "POST", "/keystamp/adapter/docSigningZ")
DOWNLOAD = Endpoint("getfile", "fileupload", "GET", "/getfile3/{name}")
SN_STATUS = Endpoint("sn-status", "backendservice", "GET", "/api/chanel/stamp/ext")
SN_LIST = Endpoint("sn-list", "stampv2", "GET", "/chanel/sale/stamp/ext/{user_id}")

ENDPOINTS: tuple[Endpoint, ...] = (
    LOGIN,
    DOC_TYPES,
    BALANCE,
    UPLOAD,
    BUY_SERIAL,
    REASSIGN_SERIAL,
    STAMP,
    DOWNLOAD,
    SN_STATUS,
    SN_LIST,
)

# --- the share and its names ---------------------------------------------------

SHAREFOLDER = "/sharefolder"
SIGNER_PROFILE = "emeteraicertificateSigner"
CERTIFICATE_LEVEL = "NOT_CERTIFIED"
STAMPED: SnState = "STAMP"
NOT_STAMPED: SnState = "NOTSTAMP"
SERIAL_FORMAT = re.compile(r"[A-Z0-9]{22}")
"""Serial numbers as seen in the field: 22 characters of A-Z and 0-9, nothing else."""
FILE_ID_FORMAT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
"""A provider file id becomes part of share paths and URLs: no separators, no ``..``."""


def upload_name(file_id: str) -> str:
    """Where the provider's adapter put an uploaded file on its share."""
    return f"doc_{file_id}.pdf"


def result_file(file_id: str) -> str:
    """Where the stamped result of an uploaded file goes: derived from the file id."""
    return f"final_{file_id}.pdf"


def specimen_name(sn: str) -> str:
    """The stamp image's name on the share. Derived from the serial number, not taken
    from the purchase answer, so a recovered SN (whose answer was lost) is stampable."""
    return f"{sn}.png"


# --- codes ---------------------------------------------------------------------

OK = "00"
EXPIRED = "01"
"""On any call: the token expired or is invalid; log in again once."""
NO_BALANCE = re.compile(
    r"saldo\s*(tidak\s*cukup|habis|kurang|kosong)|insufficient|no\s+balance|out\s+of\s+quota",
    re.IGNORECASE,
)
"""How refusals for lack of balance are worded (``result.err`` "Saldo Tidak Cukup")."""

RESTAMP_WINDOW = 48 * 3600.0
"""Seconds the provider keeps a bought serial number open for a stamp retried with
``retryFlag``, as reported by users of the portal (docs/provider-facts.md)."""

SERIAL_NO_QUOTA = "93"
"""The paid stampv2 call's own code for "quota insufficient", seen in a public integration
(docs/provider-facts.md). On the stamping adapter ``93`` is a certificate error instead,
so the code is read this way only on the paid call (:data:`BUY_SERIAL`)."""

STAMPING_MESSAGES: dict[str, str] = {
    "80": N_("The document was changed after it was signed, so it cannot be stamped."),
    "81": N_("A signature already in the document is not valid, so it cannot be stamped."),
    "82": N_(
        "The stamping service cannot upgrade this PDF (it is encrypted or password-protected)."
    ),
    "83": N_("The document is certified against changes (DocMDP), so it cannot be stamped."),
    "90": N_("The stamping service rejected the stamp data as invalid: {detail}"),
}
"""The stamping codes where the user has to act, with what to tell them."""

SIGNING_RETRY_CODES = frozenset({"92", "97"})
"""Stamping codes answered by stamping again with the same SN and ``retryFlag``."""

# --- requests ------------------------------------------------------------------


def login_body(user: str, password: str) -> dict[str, Any]:
    return {"user": user, "password": password}


def serial_body(fields: StampRequestFields) -> dict[str, Any]:
    """The paid stampv2 call's body, with the constants ``isUpload`` and ``snOnly``."""
    return {
        "isUpload": True,
        "idfile": fields.idfile,
        "namadoc": fields.namadoc,
        "namafile": fields.namafile,
        "nilaidoc": str(fields.nilaidoc),
        "namejidentitas": fields.namejidentitas,
        "noidentitas": fields.noidentitas,
        "namedipungut": fields.namedipungut,
        "snOnly": False,
        "nodoc": fields.nodoc,
        "tgldoc": fields.tgldoc.isoformat(),
    }


def reassign_body(*, nodoc: str, namadoc: str, namafile: str) -> dict[str, Any]:
    return {"nodoc": nodoc, "namadoc": namadoc, "namafile": namafile}


def signing_body(params: SigningParams) -> dict[str, Any]:
    """The docSigningZ body: ``src``/``dest`` are derived from the uploaded file's id,
    because that is where the provider's adapter put the upload."""
    llx, lly, urx, ury = params.rect
    return {
        "certificatelevel": CERTIFICATE_LEVEL,
        "src": f"{SHAREFOLDER}/{upload_name(params.file_id)}",
        "dest": f"{SHAREFOLDER}/{result_file(params.file_id)}",
        "refToken": params.sn,
        "spesimenPath": f"{SHAREFOLDER}/{params.specimen}",
        "profileName": SIGNER_PROFILE,
        "reason": params.reason,
        "location": params.location,
        "visLLX": llx,
        "visLLY": lly,
        "visURX": urx,
        "visURY": ury,
        "visSignaturePage": params.page,
        "retryFlag": "1" if params.retry else "0",
        "onPrem": False,
        "docId": params.doc_id or params.file_id,
    }


# --- answers -------------------------------------------------------------------


def messages(body: Any) -> list[str]:
    """Every human text in an answer, the specific ``result.err`` first."""
    found: list[str] = []
    if not isinstance(body, Mapping):
        return found
    for container in (body.get("result"), body):
        if isinstance(container, Mapping):
            for key in ("err", "errorMessage", "message", "msg", "error"):
                value = container.get(key)
                if isinstance(value, str) and value and value not in found:
                    found.append(value)
    return found


def says_no_balance(body: Any, *, paid_call: bool = False) -> bool:
    """Whether a refusal means the balance is spent: by its words on any call, or by
    stampv2's own quota code on the paid call."""
    if paid_call and isinstance(body, Mapping) and status_code(body) == SERIAL_NO_QUOTA:
        return True
    return any(NO_BALANCE.search(text) for text in messages(body))


def stamp_outcome(body: Mapping[str, Any]) -> tuple[bool | None, str | None]:
    """docSigningZ always answers HTTP 200: (succeeded?, error code) from ``status`` "True"
    and ``errorCode``; None for what the answer does not say."""
    raw_status = body.get("status")
    succeeded = raw_status is True or str(raw_status).strip().lower() == "true"
    raw_code = body.get("errorCode", body.get("statusCode"))
    code = None if raw_code is None else str(raw_code).strip()
    return (None if raw_status is None else succeeded), code


_QUEUE_KEYS = ("queuePosition", "queue_position", "position", "antrian")


def queue_positions(body: Any) -> list[Any]:
    """Where an answer may say the caller's place in the provider's queue."""
    found: list[Any] = []
    if isinstance(body, Mapping):
        for container in (body, body.get("result")):
            if isinstance(container, Mapping):
                found += [container.get(key) for key in _QUEUE_KEYS]
    return found


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
    if upper == STAMPED:
        return STAMPED
    if upper == NOT_STAMPED:
        return NOT_STAMPED
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


SHARE_NAME = re.compile(r"(?:doc|final)_(?P<id>.+)\.pdf", re.IGNORECASE)
"""An uploaded file or a result on the share: ``doc_<id>.pdf`` or ``final_<id>.pdf``."""


def result_name(file: str) -> str:
    """``final_<id>.pdf`` for what an SN record's ``file`` names, or "" when it names none.

    Integrations report the field as the uploaded ``doc_<id>.pdf``, the result
    ``final_<id>.pdf``, a share path or URL ending in either, or the bare id; all of
    them name the provider's file id, which is what the result is derived from. A
    document's own name (``surat.pdf``) names no file id and gives "".
    """
    last = file.strip().rsplit("/", 1)[-1].split("?", 1)[0]
    match = SHARE_NAME.fullmatch(last)
    candidate = match.group("id") if match else last
    if not candidate or candidate.lower().endswith(".pdf"):
        return ""
    try:
        return result_file(file_id(candidate))
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
        image=_text(result, "image", "Image", required=False),
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


# --- the adapter -----------------------------------------------------------------


class PeruriProvider:
    """The engine's provider port over Peruri's API: ``ProviderClient`` over HTTPS."""

    def __init__(self, client: ProviderClient) -> None:
        self.client = client

    def upload(self, path: Path, progress: Progress) -> str:
        return self.client.upload(path, progress).file_id

    def buy_serial(self, order: SerialOrder) -> str:
        fields = StampRequestFields(
            idfile=order.file_id,
            namadoc=order.doc_type,
            namafile=order.namafile,
            nodoc=order.nodoc,
            tgldoc=dt.date.fromisoformat(order.tgldoc) if order.tgldoc else dt.date.today(),
            nilaidoc=order.nilaidoc,
            namejidentitas=order.namejidentitas,
            noidentitas=order.noidentitas,
            namedipungut=order.namedipungut,
        )
        return self.client.request_serial(fields).sn

    def reassign_serial(self, sn: str, *, nodoc: str, doc_type: str, namafile: str) -> None:
        self.client.reassign_serial(sn, nodoc=nodoc, namadoc=doc_type, namafile=namafile)

    def stamp(self, order: StampOrder) -> str:
        params = SigningParams(
            file_id=order.file_id,
            sn=order.sn,
            specimen=specimen_name(order.sn),
            page=order.page,
            rect=order.rect,
            reason=order.reason,
            location=order.location,
            retry=order.retry,
        )
        return self.client.stamp(params).url_file

    def download(self, url: str, sink: Sink, progress: Progress) -> None:
        self.client.download(url, cast(IO[bytes], sink), progress)

    def serials(self) -> list[SerialInfo]:
        return [
            SerialInfo(
                sn=e.sn,
                stamped=e.status == STAMPED,
                namafile=e.namafile,
                nodoc=e.nodoc,
                file=_stamped_file(e) if e.status == STAMPED else "",
            )
            for e in self.client.sn_list()
        ]

    def serial_status(self, sn: str) -> SerialInfo | None:
        status = self.client.sn_status(sn)
        if status is None:
            return None
        stamped = status.status == STAMPED
        return SerialInfo(sn=sn, stamped=stamped, file=result_name(status.file) if stamped else "")

    def result_url(self, file_id: str) -> str:
        if not file_id:
            raise ValueError("a result location needs the provider's file id")
        return result_file(file_id)


def _stamped_file(entry: SnListEntry) -> str:
    """The result's name from the record's ``file``, else from the id the SN was bought for."""
    return result_name(entry.file) or result_name(entry.idfile)
