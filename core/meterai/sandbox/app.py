"""The provider's HTTP API (DESIGN section 3) and the loopback admin API, as Starlette routes.

Paths, methods, field names and codes are the provider's (``meterai.provider.peruri``),
so the adapter cannot tell the sandbox from the provider except by base URL and trust
root. Like the provider, business failures travel in the body with HTTP 200
(``statusCode`` for most services, ``status``/``errorCode`` for the stamping adapter);
transport statuses (429, 5xx) only come from fault injection, and 404/405 from unknown
paths or methods.

:class:`ProviderRoutes` has one method per provider call; :data:`ENDPOINTS` pairs each
with Peruri's endpoint, and yields both the routes and the names fault rules use.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import shutil
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, compile_path

from meterai import doctypes
from meterai.fsutil import atomic_write_bytes
from meterai.provider import peruri
from meterai.provider.peruri import Endpoint
from meterai.sandbox import admin, multipart, rules, tokens
from meterai.sandbox.faults import FaultConfigError, FaultPlan, FaultRule
from meterai.sandbox.faultware import SIGNING_DELAY
from meterai.sandbox.ledger import AccountExists, Ledger
from meterai.sandbox.stamping import Stamper, StampOrder

_FILE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""The ids this sandbox gives uploaded files: anything else on the share is not ours."""
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
_KNOWN_TOKENS = 1024
"""Tokens whose signature was checked, kept for their next call (a client logs in once
per token lifetime; a test that logs in thousands of times starts the list afresh)."""


@dataclass(frozen=True)
class Limits:
    token_lifetime: float = 24 * 3600.0
    retention: float = 72 * 3600.0
    max_file_bytes: int = 20 * 1024 * 1024


class SandboxService:
    """The state the routes share: ledger, signer, folders, limits and the fault plan."""

    def __init__(
        self,
        data_dir: Path,
        ledger: Ledger,
        stamper: Stamper,
        plan: FaultPlan,
        limits: Limits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ledger = ledger
        # Token lifetimes and result retention run on this clock, so a test can let a
        # day pass without waiting for it.
        self.clock = clock
        self.stamper = stamper
        self.plan = plan
        self.limits = limits
        self.files_dir = data_dir / "files"
        self.results_dir = data_dir / "results"
        self.doc_types: list[dict[str, str]] = default_doc_types()
        self._sn_locks: dict[str, threading.Lock] = {}
        self._known_tokens: dict[str, tuple[bytes, tokens.Claims]] = {}
        self._locks_guard = threading.Lock()
        for folder in (self.files_dir, self.results_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def keep_upload(self, account_id: str, name: str, data: bytes) -> str:
        """Record an upload and put it on the share; its file id. Blocking: off the loop."""
        file_id = self.ledger.add_file(account_id, name, data)
        atomic_write_bytes(self.files_dir / peruri.upload_name(file_id), data)
        return file_id

    def buy_serial(
        self, account_id: str, fields: dict[str, str], sn_only: bool
    ) -> tuple[str, bytes] | None:
        """A purchase committed, then its specimen drawn: one trip off the event loop,
        not two. ``None`` when the balance is exhausted. Blocking: off the loop."""
        sn = self.ledger.buy_serial(account_id, fields, sn_only)
        return None if sn is None else (sn, self.stamper.specimen(sn))

    def sn_lock(self, sn: str) -> threading.Lock:
        with self._locks_guard:
            return self._sn_locks.setdefault(sn, threading.Lock())

    def expire_results(self) -> None:
        for name in self.ledger.expire_results(self.clock()):
            (self.results_dir / name).unlink(missing_ok=True)

    def reset(self) -> None:
        self.ledger.reset()
        self._known_tokens.clear()
        for folder in (self.files_dir, self.results_dir):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
        self.plan.replace([])
        self.doc_types = default_doc_types()

    def knows_type(self, kode: str) -> bool:
        return any(t["kode"] == kode for t in self.doc_types)

    def account_for(self, token: str) -> str | None:
        """The account a bearer token was issued to, while it is valid and the account exists.

        Every call but login asks this, on the event loop: a token's HMAC, its JSON and
        its account's row were a twentieth of the loop's CPU. A token seen before is
        looked up instead (its expiry is still checked on every call). Only a reset
        removes an account, and it replaces the secret the entries are kept under.
        """
        if not token:
            return None
        secret = self.ledger.token_secret()
        known = self._known_tokens.get(token)
        if known is None or known[0] != secret:
            claims = tokens.signed_claims(secret, token)
            if claims is None or self.ledger.account(claims.account_id) is None:
                return None
            if len(self._known_tokens) >= _KNOWN_TOKENS:
                self._known_tokens.clear()
            known = self._known_tokens[token] = (secret, claims)
        claims = known[1]
        return claims.account_id if claims.expires > self.clock() else None


def default_doc_types() -> list[dict[str, str]]:
    """The list ``GET /jenisdoc`` serves: the provider's codes and names, the same list
    the client has built in (``meterai.doctypes``), until a test replaces it through
    ``PUT /_sandbox/jenisdoc`` to play a provider that renamed a code."""
    return [{"id": t.id or t.kode, "kode": t.kode, "nama": t.nama} for t in doctypes.BUILT_IN]


def _ok(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=200)


def _fail(code: str, message: str, **extra: Any) -> JSONResponse:
    return _ok({"statusCode": code, "message": message, **extra})


def _stamp_fail(code: str, message: str) -> JSONResponse:
    return _ok({"status": "False", "errorCode": code, "errorMessage": message})


def _listing(data: list[dict[str, Any]]) -> JSONResponse:
    return _ok(
        {"statusCode": "00", "message": "success", "result": {"total": len(data), "data": data}}
    )


def _token_fail(service: str) -> JSONResponse:
    """An invalid or expired token, said the way each service says it (code ``01``)."""
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


def _share_id(path: Any, name_of: Callable[[str], str]) -> str | None:
    """The file id in a share path whose last part is ``name_of(id)`` (``doc_<id>.pdf``)."""
    last = str(path or "").rsplit("/", 1)[-1]
    match = peruri.SHARE_NAME.fullmatch(last)
    file_id = match.group("id") if match else ""
    if not _FILE_ID.fullmatch(file_id) or name_of(file_id) != last:
        return None
    return file_id


AccountHandler = Callable[[Any, Request, str], Awaitable[Response]]


def _with_token(
    refusal: str,
) -> Callable[[AccountHandler], Callable[[Any, Request], Awaitable[Response]]]:
    """Every call but login and upload checks the bearer token first and answers a bad
    one as the service named ``refusal`` does; the method gets the token's account."""

    def decorate(method: AccountHandler) -> Callable[[Any, Request], Awaitable[Response]]:
        @functools.wraps(method)
        async def checked(self: ProviderRoutes, request: Request) -> Response:
            account_id = self.service.account_for(_bearer(request))
            if account_id is None:
                return _token_fail(refusal)
            return await method(self, request, account_id)

        return checked

    return decorate


class ProviderRoutes:
    """The provider's calls, one method each; the token check is the ``_with_token`` mark."""

    def __init__(self, service: SandboxService) -> None:
        self.service = service
        self.ledger = service.ledger

    async def login(self, request: Request) -> Response:
        body = await _json_body(request)
        if body is None or _missing(body, ("user", "password")):
            return _fail("90", "user dan password wajib diisi")
        account = self.ledger.check_password(str(body["user"]), str(body["password"]))
        if account is None:
            return _fail("02", "User atau password salah")
        token = tokens.issue(
            self.ledger.token_secret(),
            account.id,
            account.user,
            self.service.limits.token_lifetime,
            self.service.clock(),
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

    @_with_token("stampv2")
    async def doc_types(self, request: Request, account_id: str) -> Response:
        result = [dict(t) for t in self.service.doc_types]
        return _ok({"statusCode": "00", "message": "success", "result": result})

    @_with_token("saldopos")
    async def balance(self, request: Request, account_id: str) -> Response:
        account = self.ledger.account(account_id)
        if account is None:  # removed since the token check: as good as an unknown token
            return _token_fail("saldopos")
        notstamp = self.ledger.notstamp_count(account.id)
        return _ok(
            {
                "status": "00",
                "statusCode": "00",
                "message": "success",
                "result": {"saldo": account.balance, "notstamp": notstamp},
            }
        )

    async def upload(self, request: Request) -> Response:
        """The token may come as a form field as well as a header, so the form is read
        before the token is checked (the one call where the decorator cannot go first)."""
        boundary = multipart.boundary_of(request.headers.get("content-type", ""))
        if boundary is None:
            return _fail("90", "multipart/form-data dibutuhkan")
        parts = multipart.parse(await request.body(), boundary)
        token_part = parts.get("token")
        token = token_part.data.decode("utf-8", "replace").strip() if token_part else ""
        account_id = self.service.account_for(token or _bearer(request))
        if account_id is None:
            return _token_fail("fileupload")
        upload = parts.get("file")
        if upload is None or not upload.data:
            return _fail("90", "file wajib diisi")
        limit = self.service.limits.max_file_bytes
        if len(upload.data) > limit:
            return _fail("90", f"Ukuran file melebihi batas {limit} byte")
        if not upload.data.startswith(b"%PDF-"):
            return _fail("90", "File bukan PDF")
        file_id = await run_in_threadpool(
            self.service.keep_upload, account_id, upload.filename or "document.pdf", upload.data
        )
        name = peruri.upload_name(file_id)
        return _ok({"statusCode": "00", "message": "success", "id": file_id, "name": name})

    @_with_token("stampv2")
    async def buy_serial(self, request: Request, account_id: str) -> Response:
        body = await _json_body(request)
        if body is None:
            return _fail("90", "Body bukan JSON", result={"err": "Body bukan JSON"})
        sn_only = str(body.get("snOnly", False)).lower() == "true"
        refused = self._refused_order(account_id, body, sn_only)
        if refused is not None:
            return refused
        fields = {k: str(v) for k, v in body.items() if v is not None}
        # Off the loop: the purchase commits with an fsync, the QR takes milliseconds.
        bought = await run_in_threadpool(self.service.buy_serial, account_id, fields, sn_only)
        if bought is None:
            return _fail("02", "Saldo Tidak Cukup", result={"err": "Saldo Tidak Cukup"})
        sn, png = bought
        image = base64.b64encode(png).decode()
        return _ok(
            {
                "statusCode": "00",
                "message": "success",
                "result": {"sn": sn, "filenameQR": peruri.specimen_name(sn), "image": image},
            }
        )

    def _refused_order(
        self, account_id: str, body: dict[str, Any], sn_only: bool
    ) -> JSONResponse | None:
        required = _STAMPV2_FIELDS if sn_only else (*_STAMPV2_FIELDS, "idfile")
        missing = _missing(body, required)
        if missing:
            err = f"Field wajib diisi: {', '.join(missing)}"
            return _fail("90", err, result={"err": err})
        if not self.service.knows_type(str(body["namadoc"])):
            return _fail("90", "Jenis dokumen tidak dikenal", result={"err": "namadoc"})
        if not sn_only and self.ledger.file(account_id, str(body["idfile"])) is None:
            return _fail("90", "File tidak ditemukan", result={"err": "idfile tidak ditemukan"})
        return None

    @_with_token("stampv2")
    async def reassign_serial(self, request: Request, account_id: str) -> Response:
        body = await _json_body(request)
        if body is None or _missing(body, _REASSIGN_FIELDS):
            return _fail("90", "nodoc, namadoc dan namafile wajib diisi")
        sn = request.path_params["sn"]
        changes = {k: str(body[k]) for k in _REASSIGN_FIELDS}
        refused = self.ledger.reassign(account_id, sn, changes)
        if refused:
            return _fail("90", refused, result={"err": refused})
        return _ok({"statusCode": "00", "message": "success", "result": {"sn": sn}})

    @_with_token("stampservice")
    async def stamp(self, request: Request, account_id: str) -> Response:
        body = await _json_body(request)
        if body is None:
            return _stamp_fail("90", "Body bukan JSON")
        missing = _missing(body, _STAMP_FIELDS)
        if missing:
            return _stamp_fail("90", f"Field wajib diisi: {', '.join(missing)}")
        if body["profileName"] != peruri.SIGNER_PROFILE:
            return _stamp_fail("91", "Profile tidak ditemukan")
        if body["certificatelevel"] != peruri.CERTIFICATE_LEVEL:
            return _stamp_fail("90", "certificatelevel tidak didukung")
        return await run_in_threadpool(
            _stamp,
            self.service,
            account_id,
            str(body["refToken"]),
            body,
            str(request.base_url).rstrip("/"),
            float(request.scope.get(SIGNING_DELAY, 0.0)),
        )

    @_with_token("fileupload")
    async def download(self, request: Request, account_id: str) -> Response:
        self.service.expire_results()
        name = request.path_params["name"]
        path = self.service.results_dir / name
        if self.ledger.result(account_id, name) is None or not path.exists():
            return JSONResponse({"statusCode": "404", "message": "File tidak ditemukan"}, 404)
        data = await run_in_threadpool(path.read_bytes)
        return Response(data, media_type="application/pdf")

    @_with_token("backendservice")
    async def sn_status(self, request: Request, account_id: str) -> Response:
        wanted = request.query_params.get("filter") or None
        return _listing(
            [
                {
                    "sn": s["sn"],
                    "status": s["status"],
                    "file": _stamped_file(s),
                    "namafile": s["namafile"],
                    "nodoc": s["nodoc"],
                    "tglupdate": _iso(s["updated_at"]),
                }
                for s in self.ledger.serials(account_id, wanted)
            ]
        )

    @_with_token("stampv2")
    async def sn_list(self, request: Request, account_id: str) -> Response:
        if request.path_params["user_id"] != account_id:
            return _fail("90", "userId tidak sesuai dengan token")
        status = request.query_params.get("status")
        return _listing(
            [
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
                for s in self.ledger.serials(account_id)
                if status is None or s["status"] == status
            ]
        )


ENDPOINTS: tuple[tuple[Endpoint, str, tuple[str, ...]], ...] = (
    (peruri.LOGIN, "login", ("POST",)),
    (peruri.DOC_TYPES, "doc_types", ("GET",)),
    (peruri.BALANCE, "balance", ("GET", "POST")),  # documented POST; some clients GET
    (peruri.UPLOAD, "upload", ("POST",)),
    (peruri.BUY_SERIAL, "buy_serial", ("POST",)),
    (peruri.REASSIGN_SERIAL, "reassign_serial", ("POST",)),
    (peruri.STAMP, "stamp", ("POST",)),
    (peruri.DOWNLOAD, "download", ("GET",)),
    (peruri.SN_STATUS, "sn_status", ("GET",)),
    (peruri.SN_LIST, "sn_list", ("GET",)),
)
"""Each provider call: Peruri's endpoint (path and fault name), the method that answers
it, and the HTTP methods it accepts."""

_FAULT_PATHS = tuple((compile_path(e.path)[0], e.name) for e, _method, _verbs in ENDPOINTS)


def endpoint_of(method: str, path: str) -> str | None:
    """The fault-rule name of a provider call; admin and unknown paths are never faulted."""
    return next((name for pattern, name in _FAULT_PATHS if pattern.match(path)), None)


def provider_routes(service: SandboxService) -> list[Route]:
    api = ProviderRoutes(service)
    return [
        Route(endpoint.path, getattr(api, method), methods=list(verbs))
        for endpoint, method, verbs in ENDPOINTS
    ]


def build_app(service: SandboxService, admin_secret: str) -> Starlette:
    admin_routes = AdminRoutes(service, admin_secret).routes()
    return Starlette(routes=[*provider_routes(service), *admin_routes])


def _stamped_file(serial: dict[str, Any]) -> str:
    """The ``file`` of an SN record: the stamped result's name on the share, once stamped."""
    stamped = serial["stamped_idfile"]
    return peruri.result_file(stamped) if stamped else ""


def _iso(ts: float | None) -> str | None:
    from meterai.sandbox.ledger import iso

    return iso(ts)


def _stamp(
    service: SandboxService,
    account_id: str,
    sn: str,
    body: dict[str, Any],
    base_url: str,
    delay: float = 0.0,
) -> JSONResponse:
    """The signing adapter's checks in its order, then the signature; runs off the loop.

    One lock per SN: two concurrent retries of the same stamp must not both sign.
    ``delay`` (the ``slow_signing`` fault) is signing time that goes on whether or not
    the caller still waits, as a loaded provider's does.
    """
    with service.sn_lock(sn):
        return _stamp_locked(service, account_id, sn, body, base_url, delay)


def _stamp_locked(
    service: SandboxService,
    account_id: str,
    sn: str,
    body: dict[str, Any],
    base_url: str,
    delay: float = 0.0,
) -> JSONResponse:
    ledger = service.ledger
    serial = ledger.serial(account_id, sn)
    if serial is None:
        return _stamp_fail("90", "refToken (SN) tidak ditemukan")
    file_id = _share_id(body["src"], peruri.upload_name)
    result_id = _share_id(body["dest"], peruri.result_file)
    if file_id is None or result_id is None:
        return _stamp_fail("90", "src atau dest tidak valid")
    if ledger.file(account_id, file_id) is None:
        return _stamp_fail("90", "File sumber tidak ditemukan")
    retry = str(body.get("retryFlag", "")) == "1"
    if serial["status"] == peruri.STAMPED and not (retry and serial["stamped_idfile"] == file_id):
        return _stamp_fail("90", "SN sudah digunakan")
    try:
        box = tuple(float(body[k]) for k in ("visLLX", "visLLY", "visURX", "visURY"))
        page = int(str(body["visSignaturePage"]))
    except (TypeError, ValueError):
        return _stamp_fail("90", "Koordinat atau halaman tidak valid")
    if box[2] <= box[0] or box[3] <= box[1]:
        return _stamp_fail("90", "Koordinat tidak valid")
    order = StampOrder(
        data=(service.files_dir / peruri.upload_name(file_id)).read_bytes(),
        sn=sn,
        page=page,
        box=(box[0], box[1], box[2], box[3]),
        reason=str(body.get("reason") or ""),
        location=str(body.get("location") or ""),
    )
    signed = service.stamper.stamp(order)
    if isinstance(signed, rules.Rejection):
        return _stamp_fail(signed.code, signed.message)
    time.sleep(delay)
    name = peruri.result_file(result_id)
    atomic_write_bytes(service.results_dir / name, signed)
    ledger.record_stamp(account_id, sn, file_id, name, service.limits.retention, service.clock())
    service.expire_results()
    return _ok(
        {
            "status": "True",
            "errorCode": "00",
            "errorMessage": "",
            "urlFile": base_url + peruri.DOWNLOAD.path_for(name=name),
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


class AdminRoutes:
    """The test-only admin API (``/_sandbox/...``), one method per call; every call is
    guarded by ``_guarded``: loopback and the starter's secret (``sandbox.admin``)."""

    def __init__(self, service: SandboxService, secret: str) -> None:
        self.service = service
        self.secret = secret

    def routes(self) -> list[Route]:
        table: tuple[tuple[str, Handler, tuple[str, ...]], ...] = (
            ("/_sandbox/faults", self.faults, ("GET", "PUT", "POST", "DELETE")),
            ("/_sandbox/jenisdoc", self.doc_types, ("GET", "PUT")),
            ("/_sandbox/ledger", self.ledger, ("GET",)),
            ("/_sandbox/reset", self.reset, ("POST",)),
            ("/_sandbox/accounts", self.accounts, ("POST",)),
        )
        return [Route(path, self._guarded(h), methods=list(m)) for path, h, m in table]

    def _guarded(self, handler: Handler) -> Handler:
        """Loopback and the starter's secret: 403, then 401."""

        async def guarded(request: Request) -> Response:
            host = request.client.host if request.client else ""
            if host not in ("127.0.0.1", "::1"):
                return JSONResponse({"error": "admin API is loopback-only"}, 403)
            if not admin.matches(request.headers.get(admin.ADMIN_HEADER), self.secret):
                return JSONResponse(
                    {"error": f"admin API needs the {admin.ADMIN_HEADER} header"},
                    401,
                    headers={"WWW-Authenticate": admin.ADMIN_HEADER},
                )
            return await handler(request)

        return guarded

    async def faults(self, request: Request) -> Response:
        plan = self.service.plan
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

    async def ledger(self, request: Request) -> Response:
        self.service.expire_results()
        return JSONResponse(self.service.ledger.snapshot())

    async def reset(self, request: Request) -> Response:
        await run_in_threadpool(self.service.reset)
        return JSONResponse({"reset": True})

    async def accounts(self, request: Request) -> Response:
        body = await _json_body(request) or {}
        try:
            account = self.service.ledger.add_account(
                str(body["user"]),
                str(body.get("password", body["user"])),
                int(body.get("balance", 0)),
            )
        except (KeyError, ValueError) as exc:
            return JSONResponse({"error": f"bad account: {exc}"}, 400)
        except AccountExists as exc:
            return JSONResponse({"error": str(exc)}, 409)
        return JSONResponse({"id": account.id, "user": account.user, "balance": account.balance})

    async def doc_types(self, request: Request) -> Response:
        """Replace the served list (a provider that renamed or dropped a code); the reset
        restores the built-in one."""
        if request.method == "PUT":
            try:
                raw = json.loads(await request.body() or b"[]")
                self.service.doc_types = _parse_doc_types(raw)
            except (KeyError, TypeError, ValueError) as exc:
                return JSONResponse({"error": f"bad document types: {exc}"}, 400)
        return JSONResponse(self.service.doc_types)
