"""The provider's HTTP API (DESIGN section 3) and the loopback admin API, as Starlette routes.

Paths, methods, field names and codes are the provider's, so the adapter cannot
tell the sandbox from the provider except by base URL and trust root. Like the
provider, business failures travel in the body with HTTP 200 (``statusCode`` for
most services, ``status``/``errorCode`` for the stamping adapter); transport
statuses (429, 5xx) only come from fault injection, and 404/405 from unknown
paths or methods.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from meterai import doctypes
from meterai.fsutil import atomic_write_bytes
from meterai.sandbox import admin, multipart, rules, tokens
from meterai.sandbox.faults import FaultConfigError, FaultPlan, FaultRule
from meterai.sandbox.ledger import AccountExists, Ledger
from meterai.sandbox.signer import Placement, StampSigner
from meterai.specimen import specimen_png

PROFILE_NAME = "emeteraicertificateSigner"
_SHARE_NAME = re.compile(r"^(?:.*/)?(doc|final)_([A-Za-z0-9_-]{1,64})\.pdf$")
_STAMP_FIELDS = (
    "certificatelevel",
    "src",
    "dest",
    "refToken",
    "profileName",
    "visLLX",
    "visLLY",
    "visURX",
    "visURY",
    "visSignaturePage",
)
_STAMPV2_FIELDS = ("namadoc", "namafile", "nodoc", "tgldoc")
_REASSIGN_FIELDS = ("nodoc", "namadoc", "namafile")

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Limits:
    token_lifetime: float = 24 * 3600.0
    retention: float = 72 * 3600.0
    max_file_bytes: int = 20 * 1024 * 1024


class SandboxService:
    """The state the routes share: ledger, signer, folders, limits and the fault plan."""

    def __init__(
        self, data_dir: Path, ledger: Ledger, signer: StampSigner, plan: FaultPlan, limits: Limits
    ) -> None:
        self.ledger = ledger
        self.signer = signer
        self.plan = plan
        self.limits = limits
        self.files_dir = data_dir / "files"
        self.results_dir = data_dir / "results"
        self.doc_types: list[dict[str, str]] = default_doc_types()
        self._sn_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        for folder in (self.files_dir, self.results_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def sn_lock(self, sn: str) -> threading.Lock:
        with self._locks_guard:
            return self._sn_locks.setdefault(sn, threading.Lock())

    def expire_results(self) -> None:
        for name in self.ledger.expire_results():
            (self.results_dir / name).unlink(missing_ok=True)

    def reset(self) -> None:
        self.ledger.reset()
        for folder in (self.files_dir, self.results_dir):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
        self.plan.replace([])
        self.doc_types = default_doc_types()

    def knows_type(self, kode: str) -> bool:
        return any(t["kode"] == kode for t in self.doc_types)


def default_doc_types() -> list[dict[str, str]]:
    """The list ``GET /jenisdoc`` serves: the provider's codes and names, the same list
    the client has built in (``meterai.doctypes``), until a test replaces it through
    ``PUT /_sandbox/jenisdoc`` to play a provider that renamed a code."""
    return [{"id": t.id or t.kode, "kode": t.kode, "nama": t.nama} for t in doctypes.BUILT_IN]


def endpoint_of(method: str, path: str) -> str | None:
    """The fault-rule name of a provider call; admin and unknown paths are never faulted."""
    if path == "/api/users/login":
        return "login"
    if path == "/jenisdoc":
        return "jenisdoc"
    if path == "/function/saldopos":
        return "saldopos"
    if path == "/uploaddoc2":
        return "uploaddoc2"
    if path == "/chanel/stampv2":
        return "stampv2"
    if path.startswith("/stamping/update-data/"):
        return "update-data"
    if path == "/keystamp/adapter/docSigningZ":
        return "docSigningZ"
    if path.startswith("/getfile3/"):
        return "getfile"
    if path == "/api/chanel/stamp/ext":
        return "sn-status"
    if path.startswith("/chanel/sale/stamp/ext/"):
        return "sn-list"
    return None


def _ok(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=200)


def _fail(code: str, message: str, **extra: Any) -> JSONResponse:
    return _ok({"statusCode": code, "message": message, **extra})


def _stamp_fail(code: str, message: str) -> JSONResponse:
    return _ok({"status": "False", "errorCode": code, "errorMessage": message})


def _token_fail(service: str) -> JSONResponse:
    message = "Token tidak valid atau kedaluwarsa"
    if service == "stampservice":
        return _ok(
            {"status": "False", "errorCode": "01", "errorMessage": message, "statusCode": "01"}
        )
    if service == "saldopos":
        return _ok({"status": "01", "statusCode": "01", "message": message})
    return _fail("01", message)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


async def _json_body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _missing(body: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if body.get(n) in (None, "")]


def _share_id(path: Any, kind: str) -> str | None:
    match = _SHARE_NAME.match(str(path or ""))
    return match.group(2) if match and match.group(1) == kind else None


def build_app(service: SandboxService, admin_secret: str) -> Starlette:
    ledger = service.ledger

    def account_for(token: str) -> str | None:
        account_id = tokens.account_of(ledger.token_secret(), token) if token else None
        return account_id if account_id and ledger.account(account_id) else None

    async def login(request: Request) -> Response:
        body = await _json_body(request)
        if body is None or _missing(body, ("user", "password")):
            return _fail("90", "user dan password wajib diisi")
        account = ledger.check_password(str(body["user"]), str(body["password"]))
        if account is None:
            return _fail("02", "User atau password salah")
        token = tokens.issue(
            ledger.token_secret(), account.id, account.user, service.limits.token_lifetime
        )
        user = {"id": account.id, "firstName": account.first_name}
        return _ok(
            {
                "statusCode": "00",
                "message": "success",
                "token": token,
                "result": {"data": {"login": {"user": user}}},
            }
        )

    async def jenisdoc(request: Request) -> Response:
        if account_for(_bearer(request)) is None:
            return _token_fail("stampv2")
        result = [dict(t) for t in service.doc_types]
        return _ok({"statusCode": "00", "message": "success", "result": result})

    async def saldopos(request: Request) -> Response:
        account_id = account_for(_bearer(request))
        account = ledger.account(account_id) if account_id else None
        if account is None:
            return _token_fail("saldopos")
        notstamp = ledger.notstamp_count(account.id)
        return _ok(
            {
                "status": "00",
                "statusCode": "00",
                "message": "success",
                "result": {"saldo": account.balance, "notstamp": notstamp},
            }
        )

    async def uploaddoc2(request: Request) -> Response:
        boundary = multipart.boundary_of(request.headers.get("content-type", ""))
        if boundary is None:
            return _fail("90", "multipart/form-data dibutuhkan")
        body = await request.body()
        parts = multipart.parse(body, boundary)
        token_part = parts.get("token")
        token = token_part.data.decode("utf-8", "replace").strip() if token_part else ""
        account_id = account_for(token or _bearer(request))
        if account_id is None:
            return _token_fail("fileupload")
        upload = parts.get("file")
        if upload is None or not upload.data:
            return _fail("90", "file wajib diisi")
        if len(upload.data) > service.limits.max_file_bytes:
            return _fail("90", f"Ukuran file melebihi batas {service.limits.max_file_bytes} byte")
        if not upload.data.startswith(b"%PDF-"):
            return _fail("90", "File bukan PDF")
        file_id = ledger.add_file(account_id, upload.filename or "document.pdf", upload.data)
        name = f"doc_{file_id}.pdf"
        await run_in_threadpool(atomic_write_bytes, service.files_dir / name, upload.data)
        return _ok({"statusCode": "00", "message": "success", "id": file_id, "name": name})

    async def stampv2(request: Request) -> Response:
        account_id = account_for(_bearer(request))
        if account_id is None:
            return _token_fail("stampv2")
        body = await _json_body(request)
        if body is None:
            return _fail("90", "Body bukan JSON", result={"err": "Body bukan JSON"})
        sn_only = str(body.get("snOnly", False)).lower() == "true"
        required = _STAMPV2_FIELDS if sn_only else (*_STAMPV2_FIELDS, "idfile")
        missing = _missing(body, required)
        if missing:
            err = f"Field wajib diisi: {', '.join(missing)}"
            return _fail("90", err, result={"err": err})
        if not service.knows_type(str(body["namadoc"])):
            return _fail("90", "Jenis dokumen tidak dikenal", result={"err": "namadoc"})
        if not sn_only and ledger.file(account_id, str(body["idfile"])) is None:
            return _fail("90", "File tidak ditemukan", result={"err": "idfile tidak ditemukan"})
        fields = {k: str(v) for k, v in body.items() if v is not None}
        sn = ledger.buy_serial(account_id, fields, sn_only)
        if sn is None:
            return _fail("02", "Saldo Tidak Cukup", result={"err": "Saldo Tidak Cukup"})
        image = base64.b64encode(await run_in_threadpool(specimen_png, 300, sn)).decode()
        return _ok(
            {
                "statusCode": "00",
                "message": "success",
                "result": {"sn": sn, "filenameQR": f"{sn}.png", "image": image},
            }
        )

    async def update_data(request: Request) -> Response:
        account_id = account_for(_bearer(request))
        if account_id is None:
            return _token_fail("stampv2")
        body = await _json_body(request)
        if body is None or _missing(body, _REASSIGN_FIELDS):
            return _fail("90", "nodoc, namadoc dan namafile wajib diisi")
        sn = request.path_params["sn"]
        refused = ledger.reassign(account_id, sn, {k: str(body[k]) for k in _REASSIGN_FIELDS})
        if refused:
            return _fail("90", refused, result={"err": refused})
        return _ok({"statusCode": "00", "message": "success", "result": {"sn": sn}})

    async def doc_signing(request: Request) -> Response:
        account_id = account_for(_bearer(request))
        if account_id is None:
            return _token_fail("stampservice")
        body = await _json_body(request)
        if body is None:
            return _stamp_fail("90", "Body bukan JSON")
        missing = _missing(body, _STAMP_FIELDS)
        if missing:
            return _stamp_fail("90", f"Field wajib diisi: {', '.join(missing)}")
        if body["profileName"] != PROFILE_NAME:
            return _stamp_fail("91", "Profile tidak ditemukan")
        if body["certificatelevel"] != "NOT_CERTIFIED":
            return _stamp_fail("90", "certificatelevel tidak didukung")
        return await run_in_threadpool(
            _stamp,
            service,
            account_id,
            str(body["refToken"]),
            body,
            str(request.base_url).rstrip("/"),
        )

    async def getfile(request: Request) -> Response:
        account_id = account_for(_bearer(request))
        if account_id is None:
            return _token_fail("fileupload")
        service.expire_results()
        name = request.path_params["name"]
        path = service.results_dir / name
        if ledger.result(account_id, name) is None or not path.exists():
            return JSONResponse({"statusCode": "404", "message": "File tidak ditemukan"}, 404)
        data = await run_in_threadpool(path.read_bytes)
        return Response(data, media_type="application/pdf")

    async def sn_status(request: Request) -> Response:
        account_id = account_for(_bearer(request))
        if account_id is None:
            return _token_fail("backendservice")
        wanted = request.query_params.get("filter") or None
        data = [
            {
                "sn": s["sn"],
                "status": s["status"],
                "file": _stamped_file(s),
                "namafile": s["namafile"],
                "nodoc": s["nodoc"],
                "tglupdate": _iso(s["updated_at"]),
            }
            for s in ledger.serials(account_id, wanted)
        ]
        return _ok(
            {"statusCode": "00", "message": "success", "result": {"total": len(data), "data": data}}
        )

    async def sn_list(request: Request) -> Response:
        account_id = account_for(_bearer(request))
        if account_id is None:
            return _token_fail("stampv2")
        if request.path_params["user_id"] != account_id:
            return _fail("90", "userId tidak sesuai dengan token")
        status = request.query_params.get("status")
        data = [
            {
                "sn": s["sn"],
                "status": s["status"],
                "idfile": s["idfile"],
                "nodoc": s["nodoc"],
                "namadoc": s["namadoc"],
                "namafile": s["namafile"],
                "file": _stamped_file(s),
                "tgl": _iso(s["created_at"]),
                "tglupdate": _iso(s["updated_at"]),
            }
            for s in ledger.serials(account_id)
            if status is None or s["status"] == status
        ]
        return _ok(
            {"statusCode": "00", "message": "success", "result": {"total": len(data), "data": data}}
        )

    routes = [
        Route("/api/users/login", login, methods=["POST"]),
        Route("/jenisdoc", jenisdoc, methods=["GET"]),
        Route("/function/saldopos", saldopos, methods=["GET", "POST"]),
        Route("/uploaddoc2", uploaddoc2, methods=["POST"]),
        Route("/chanel/stampv2", stampv2, methods=["POST"]),
        Route("/stamping/update-data/{sn}", update_data, methods=["POST"]),
        Route("/keystamp/adapter/docSigningZ", doc_signing, methods=["POST"]),
        Route("/getfile3/{name}", getfile, methods=["GET"]),
        Route("/api/chanel/stamp/ext", sn_status, methods=["GET"]),
        Route("/chanel/sale/stamp/ext/{user_id}", sn_list, methods=["GET"]),
        *_admin_routes(service, admin_secret),
    ]
    return Starlette(routes=routes)


def _stamped_file(serial: dict[str, Any]) -> str:
    """The ``file`` of an SN record: the stamped result's name on the share, once stamped."""
    return f"final_{serial['stamped_idfile']}.pdf" if serial["stamped_idfile"] else ""


def _iso(ts: float | None) -> str | None:
    from meterai.sandbox.ledger import iso

    return iso(ts)


def _stamp(
    service: SandboxService, account_id: str, sn: str, body: dict[str, Any], base_url: str
) -> JSONResponse:
    """The signing adapter's checks in its order, then the signature; runs off the loop.

    One lock per SN: two concurrent retries of the same stamp must not both sign.
    """
    with service.sn_lock(sn):
        return _stamp_locked(service, account_id, sn, body, base_url)


def _stamp_locked(
    service: SandboxService, account_id: str, sn: str, body: dict[str, Any], base_url: str
) -> JSONResponse:
    ledger = service.ledger
    serial = ledger.serial(account_id, sn)
    if serial is None:
        return _stamp_fail("90", "refToken (SN) tidak ditemukan")
    file_id = _share_id(body["src"], "doc")
    result_id = _share_id(body["dest"], "final")
    if file_id is None or result_id is None:
        return _stamp_fail("90", "src atau dest tidak valid")
    if ledger.file(account_id, file_id) is None:
        return _stamp_fail("90", "File sumber tidak ditemukan")
    retry = str(body.get("retryFlag", "")) == "1"
    if serial["status"] == "STAMP" and not (retry and serial["stamped_idfile"] == file_id):
        return _stamp_fail("90", "SN sudah digunakan")
    try:
        box = tuple(float(body[k]) for k in ("visLLX", "visLLY", "visURX", "visURY"))
        page = int(str(body["visSignaturePage"]))
    except (TypeError, ValueError):
        return _stamp_fail("90", "Koordinat atau halaman tidak valid")
    if box[2] <= box[0] or box[3] <= box[1]:
        return _stamp_fail("90", "Koordinat tidak valid")
    prepared = rules.prepare((service.files_dir / f"doc_{file_id}.pdf").read_bytes())
    if isinstance(prepared, rules.Rejection):
        return _stamp_fail(prepared.code, prepared.message)
    placement = Placement(
        page_index=min(max(page, 1), prepared.page_count) - 1,
        box=(box[0], box[1], box[2], box[3]),
    )
    try:
        signed = service.signer.sign(
            prepared.data,
            sn,
            placement,
            str(body.get("reason") or ""),
            str(body.get("location") or ""),
        )
    except Exception as exc:  # the adapter reports any signing failure as 92
        return _stamp_fail("92", f"Internal error: {exc}")
    name = f"final_{result_id}.pdf"
    atomic_write_bytes(service.results_dir / name, signed)
    ledger.record_stamp(account_id, sn, file_id, name, service.limits.retention)
    service.expire_results()
    return _ok(
        {
            "status": "True",
            "errorCode": "00",
            "errorMessage": "",
            "urlFile": f"{base_url}/getfile3/{name}",
        }
    )


def _parse_doc_types(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("a non-empty list of {kode, nama} is needed")
    return [
        {
            "id": str(item.get("id") or item["kode"]),
            "kode": str(item["kode"]),
            "nama": str(item["nama"]),
        }
        for item in raw
    ]


def _admin_routes(service: SandboxService, admin_secret: str) -> list[Route]:
    def loopback_only(handler: Handler) -> Handler:
        """Loopback and the starter's secret (see ``sandbox.admin``): 403, then 401."""

        async def guarded(request: Request) -> Response:
            host = request.client.host if request.client else ""
            if host not in ("127.0.0.1", "::1"):
                return JSONResponse({"error": "admin API is loopback-only"}, 403)
            if not admin.matches(request.headers.get(admin.ADMIN_HEADER), admin_secret):
                return JSONResponse(
                    {"error": f"admin API needs the {admin.ADMIN_HEADER} header"},
                    401,
                    headers={"WWW-Authenticate": admin.ADMIN_HEADER},
                )
            return await handler(request)

        return guarded

    async def faults(request: Request) -> Response:
        plan = service.plan
        try:
            if request.method == "PUT":
                seed, new_rules = FaultPlan.parse(json.loads(await request.body() or b"{}"))
                plan.replace(new_rules, seed)
            elif request.method == "POST":
                raw = json.loads(await request.body() or b"{}")
                items = raw.get("rules", [raw]) if isinstance(raw, dict) else raw
                if not isinstance(items, list):
                    raise FaultConfigError("rules must be a list")
                plan.add([FaultRule.from_json(r) for r in items])
            elif request.method == "DELETE":
                plan.replace([])
        except (FaultConfigError, ValueError) as exc:
            return JSONResponse({"error": str(exc)}, 400)
        return JSONResponse(plan.as_json())

    async def ledger_view(request: Request) -> Response:
        service.expire_results()
        return JSONResponse(service.ledger.snapshot())

    async def reset(request: Request) -> Response:
        await run_in_threadpool(service.reset)
        return JSONResponse({"reset": True})

    async def accounts(request: Request) -> Response:
        body = await _json_body(request) or {}
        try:
            account = service.ledger.add_account(
                str(body["user"]),
                str(body.get("password", body["user"])),
                int(body.get("balance", 0)),
            )
        except (KeyError, ValueError) as exc:
            return JSONResponse({"error": f"bad account: {exc}"}, 400)
        except AccountExists as exc:
            return JSONResponse({"error": str(exc)}, 409)
        return JSONResponse({"id": account.id, "user": account.user, "balance": account.balance})

    async def doc_types(request: Request) -> Response:
        """Replace the served list (a provider that renamed or dropped a code); the reset
        restores the built-in one."""
        if request.method == "PUT":
            try:
                service.doc_types = _parse_doc_types(json.loads(await request.body() or b"[]"))
            except (KeyError, TypeError, ValueError) as exc:
                return JSONResponse({"error": f"bad document types: {exc}"}, 400)
        return JSONResponse(service.doc_types)

    return [
        Route("/_sandbox/faults", loopback_only(faults), methods=["GET", "PUT", "POST", "DELETE"]),
        Route("/_sandbox/jenisdoc", loopback_only(doc_types), methods=["GET", "PUT"]),
        Route("/_sandbox/ledger", loopback_only(ledger_view), methods=["GET"]),
        Route("/_sandbox/reset", loopback_only(reset), methods=["POST"]),
        Route("/_sandbox/accounts", loopback_only(accounts), methods=["POST"]),
    ]
