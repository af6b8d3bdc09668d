"""The Peruri e-Meterai API (DESIGN section 3) over one synchronous ``httpx.Client``.

Synchronous because the sync engine runs each request's steps in worker
threads. One client is shared by all of them: the only shared mutable state is
httpcore's connection pool (which locks itself) and the :class:`Session`
(single-flight token refresh); headers, including the bearer token, are built
per request and never stored on the ``httpx.Client``.

Timeouts are stall timeouts, not deadlines. httpx's ``read`` and ``write``
timeouts bound each socket operation, i.e. each chunk, and httpx has no total
deadline, so ``Timeout(connect, read=stall, write=stall, pool)`` means "fail when
no byte has moved for ``stall`` seconds". A 64 kbit/s link that needs ten
minutes for an upload keeps going; a link that went silent fails after
``stall`` seconds. The same rule applies while the provider is still thinking
before it answers: a provider silent for longer than ``stall`` counts as
stalled, and for a POST that failure is reported as ``maybe_committed``.

"Moved" means acknowledged by the peer, not taken by the kernel: the transport
(:mod:`meterai.provider.link`) keeps waiting for an answer while the upload's
bytes are still being acknowledged, reports upload progress the same way, and
cuts an answer that trickles below a rate floor.
"""

from __future__ import annotations

import ipaddress
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self
from urllib.parse import urlsplit

import certifi
import httpx

from meterai.provider import mapping, peruri
from meterai.provider.errors import UnknownFailure
from meterai.provider.link import AckedProgress, LinkTransport, RateFloor
from meterai.provider.mapping import Call
from meterai.provider.multipart import DEFAULT_CHUNK, MultipartFile
from meterai.provider.peruri import Endpoint, ShapeError
from meterai.provider.ports import Progress
from meterai.provider.redact import LOGGER
from meterai.provider.schemas import (
    Balance,
    DocType,
    LoginResult,
    SerialNumber,
    SigningParams,
    SnListEntry,
    SnStatus,
    StampRequestFields,
    StampResult,
    UploadResult,
)
from meterai.provider.session import Session, TokenShare
from meterai.settings import SERVICES, Profile

Credentials = Callable[[], tuple[str, str]]

DEFAULT_STALL_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 15.0
DEFAULT_POOL_TIMEOUT = 60.0
USER_AGENT = "meterai-desk/0.1"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_base_urls(base_urls: Mapping[str, str]) -> dict[str, str]:
    """Every service needs a URL; plain http is allowed only on loopback (test servers)."""
    missing = [s for s in SERVICES if s not in base_urls]
    if missing:
        raise ValueError(f"no base URL for service(s) {', '.join(missing)}")
    checked = {}
    for service in SERVICES:
        url = base_urls[service].rstrip("/")
        parts = urlsplit(url)
        if parts.scheme == "http" and _is_loopback(parts.hostname or ""):
            pass
        elif parts.scheme != "https":
            raise ValueError(f"{service}: the provider must be reached over https, not {url!r}")
        checked[service] = url
    return checked


def tls_context(extra_ca_file: str | None = None) -> ssl.SSLContext:
    """Verification is always on: the system's roots, plus the profile's extra CA if any.

    Where the system offers no roots at all (a bare container, some frozen builds),
    certifi's public roots stand in for them. Which CA signs the provider's *stamps*
    is a separate setting (``Profile.sign_ca_files``), never mixed into this one.
    """
    context = ssl.create_default_context()
    system = ssl.get_default_verify_paths()
    if not (context.get_ca_certs() or system.cafile or system.capath):
        context.load_verify_locations(cafile=certifi.where())
    if extra_ca_file:
        context.load_verify_locations(cafile=extra_ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class ProviderClient:
    """The provider adapter. Every error it raises is a ``ProviderError`` with a ``kind``.

    ``credentials`` is called (from whichever thread needs it first) when a
    login is due; it is never stored. Calls other than :meth:`login` go through
    ``self.session``: lazy login, and one re-login when the token is refused.
    """

    def __init__(
        self,
        base_urls: Mapping[str, str],
        *,
        tls_ca_file: str | None = None,
        credentials: Credentials | None = None,
        stall_timeout: float = DEFAULT_STALL_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT,
        max_connections: int = 16,
        chunk_size: int = DEFAULT_CHUNK,
        rate_floor: RateFloor | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        token_share: TokenShare | None = None,
    ) -> None:
        self.base_urls = _check_base_urls(base_urls)
        self.stall_timeout = stall_timeout
        self.chunk_size = chunk_size
        self.rate_floor = rate_floor or RateFloor()
        self._clock = clock
        self._credentials = credentials
        self._balance_method = "POST"
        context = tls_context(tls_ca_file)
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max(2, max_connections // 2),
            keepalive_expiry=5.0,
        )
        self._http = httpx.Client(
            verify=context,
            timeout=httpx.Timeout(
                connect=connect_timeout, read=stall_timeout, write=stall_timeout, pool=pool_timeout
            ),
            limits=limits,
            follow_redirects=False,
            trust_env=False,
            # Stall timer and upload progress count acknowledged bytes; trickles are cut.
            transport=transport or LinkTransport(context, limits, self.rate_floor),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )
        self.session = Session(self._login_with_credentials, token_share)

    @classmethod
    def from_profile(cls, profile: Profile, **kwargs: Any) -> Self:
        if not profile.base_urls:
            raise ValueError(
                f"profile {profile.name!r} has no base URLs: start the embedded sandbox and "
                "pass its URLs"
            )
        return cls(profile.base_urls, tls_ca_file=profile.tls_ca_file, **kwargs)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- plumbing ------------------------------------------------------------

    def _url(self, endpoint: Endpoint, **params: str) -> str:
        return self.base_urls[endpoint.service] + endpoint.path_for(**params)

    def _send(
        self,
        call: Call,
        url: str,
        *,
        token: str | None = None,
        json: Any = None,
        content: Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send and read the whole (small, JSON) answer; raise the mapped error on any failure."""
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        request = self._http.build_request(
            call.method,
            url,
            json=json,
            content=content,
            headers=all_headers,
            extensions={"trace": call.trace},
        )
        LOGGER.debug("%s %s", call.method, url)
        with mapping.transport_errors(call, self.stall_timeout):
            response = self._http.send(request)
        mapping.check_http(call, response, self._clock)
        return response

    def _json(
        self, call: Call, url: str, *, token: str | None = None, json: Any = None
    ) -> Mapping[str, Any]:
        response = self._send(call, url, token=token, json=json)
        return mapping.decode_json(call, response)

    def _envelope(
        self, endpoint: str, method: str, url: str, token: str, json: Any = None
    ) -> tuple[Call, Mapping[str, Any]]:
        call = Call(endpoint, method)
        body = self._json(call, url, token=token, json=json)
        mapping.check_envelope(call, body)
        return call, body

    def _login_with_credentials(self) -> LoginResult:
        if self._credentials is None:
            raise ValueError("this client was built without credentials; call login() yourself")
        user, password = self._credentials()
        return self.login(user, password)

    # --- the API -------------------------------------------------------------

    def login(self, user: str, password: str) -> LoginResult:
        """The raw login call; normally the session calls it when a token is needed."""
        call = Call("login", "POST", login=True)
        body = self._json(
            call,
            self._url(peruri.LOGIN),
            json=peruri.login_body(user, password),
        )
        mapping.check_envelope(call, body)
        try:
            return peruri.parse_login(body)
        except ShapeError as exc:
            mapping.shape_error(call, exc)

    def doc_types(self) -> list[DocType]:
        def run(token: str) -> list[DocType]:
            call, body = self._envelope("doc_types", "GET", self._url(peruri.DOC_TYPES), token)
            try:
                return peruri.parse_doc_types(body)
            except ShapeError as exc:
                mapping.shape_error(call, exc)

        return self.session.call(run)

    def balance(self) -> Balance:
        """POST as documented; a provider answering 405 gets GET from then on."""

        def run(token: str) -> Balance:
            url = self._url(peruri.BALANCE)
            method = self._balance_method
            try:
                call, body = self._envelope("balance", method, url, token)
            except UnknownFailure as exc:
                if exc.http_status != 405 or method != "POST":
                    raise
                self._balance_method = "GET"
                call, body = self._envelope("balance", "GET", url, token)
            try:
                return peruri.parse_balance(body)
            except ShapeError as exc:
                mapping.shape_error(call, exc)

        return self.session.call(run)

    def upload(self, path: Path, progress: Progress | None = None) -> UploadResult:
        """Stream ``path`` as multipart ``file`` (plus form ``token``); memory stays flat."""

        def run(token: str) -> UploadResult:
            acked = AckedProgress(progress)
            body = MultipartFile(
                Path(path),
                fields={"token": token},
                chunk_size=self.chunk_size,
                progress=acked.handed,
            )
            call = Call("upload", "POST")
            with acked.listening():
                response = self._send(
                    call,
                    self._url(peruri.UPLOAD),
                    token=token,
                    content=body,
                    headers=body.headers,
                )
            acked.finished()
            answer = mapping.decode_json(call, response)
            mapping.check_envelope(call, answer)
            try:
                return peruri.parse_upload(answer)
            except ShapeError as exc:
                mapping.shape_error(call, exc)

        return self.session.call(run)

    def request_serial(self, fields: StampRequestFields) -> SerialNumber:
        """THE PAID CALL: it spends a stamp and is not idempotent.

        On failure check ``maybe_committed`` before anything else: when it is
        True the stamp may have been bought, and only reconciliation (SN list
        or SN status) may decide what happens next.
        """

        def run(token: str) -> SerialNumber:
            call, body = self._envelope(
                mapping.PAID_CALL,
                "POST",
                self._url(peruri.BUY_SERIAL),
                token,
                peruri.serial_body(fields),
            )
            try:
                return peruri.parse_serial(body)
            except ShapeError as exc:
                mapping.shape_error(call, exc)

        return self.session.call(run)

    def reassign_serial(self, sn: str, *, nodoc: str, namadoc: str, namafile: str) -> None:
        """Give an unused (NOTSTAMP) SN to another document instead of buying a new one."""

        def run(token: str) -> None:
            self._envelope(
                "reassign_serial",
                "POST",
                self._url(peruri.REASSIGN_SERIAL, sn=sn),
                token,
                peruri.reassign_body(nodoc=nodoc, namadoc=namadoc, namafile=namafile),
            )

        self.session.call(run)

    def stamp(self, params: SigningParams) -> StampResult:
        def run(token: str) -> StampResult:
            call = Call("stamp", "POST")
            body = self._json(
                call,
                self._url(peruri.STAMP),
                token=token,
                json=peruri.signing_body(params),
            )
            mapping.check_stamp(call, body)
            try:
                return peruri.parse_stamp(body)
            except ShapeError as exc:
                mapping.shape_error(call, exc)

        return self.session.call(run)

    def download_url(self, url_or_name: str) -> str:
        """Where to fetch a result, never sending the token to a host outside the profile.

        ``urlFile`` is normally an absolute URL on the download service; an
        absolute URL elsewhere is reduced to its file name, fetched from our
        own download service.
        """
        parts = urlsplit(url_or_name)
        if parts.scheme in ("http", "https"):
            origin = f"{parts.scheme}://{parts.netloc}".lower()
            for base in self.base_urls.values():
                base_parts = urlsplit(base)
                if origin == f"{base_parts.scheme}://{base_parts.netloc}".lower():
                    return url_or_name
            name = parts.path.rsplit("/", 1)[-1]
        elif url_or_name.startswith("/"):
            return self.base_urls[peruri.DOWNLOAD.service] + url_or_name
        else:
            name = url_or_name
        if not name:
            raise mapping.malformed(
                Call("download", "GET"), f"no file name in the result location {url_or_name!r}"
            )
        return self._url(peruri.DOWNLOAD, name=name)

    def download(self, url_or_name: str, dest: IO[bytes], progress: Progress | None = None) -> int:
        """Stream the stamped PDF into ``dest``; returns the byte count.

        The caller owns ``dest`` (temp file, fsync, rename). If the token is
        refused and the call is retried, ``dest`` is rewound and truncated
        first, so a retry never appends to a partial file.
        """
        url = self.download_url(url_or_name)
        start = dest.tell()

        def run(token: str) -> int:
            dest.seek(start)
            dest.truncate()
            return self._download(url, token, dest, progress)

        return self.session.call(run)

    def _download(self, url: str, token: str, dest: IO[bytes], progress: Progress | None) -> int:
        call = Call("download", "GET")
        request = self._http.build_request(
            "GET",
            url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/pdf"},
            extensions={"trace": call.trace},
        )
        with mapping.transport_errors(call, self.stall_timeout):
            response = self._http.send(request, stream=True)
            try:
                if not response.is_success or "json" in response.headers.get("Content-Type", ""):
                    response.read()
                    mapping.check_http(call, response, self._clock)
                    body = mapping.decode_json(call, response)
                    mapping.check_envelope(call, body)
                    raise mapping.malformed(call, "a JSON answer where a PDF was expected")
                return self._copy_pdf(call, response, dest, progress)
            finally:
                response.close()

    def _copy_pdf(
        self, call: Call, response: httpx.Response, dest: IO[bytes], progress: Progress | None
    ) -> int:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        written = 0
        head = b""
        # Each read as it comes (at most httpcore's 64 KiB): a trickle must reach the checks.
        for chunk in response.iter_bytes():
            if len(head) < 5:
                head += chunk[: 5 - len(head)]
                if len(head) >= 5 and head != b"%PDF-":
                    raise mapping.malformed(call, "the downloaded file is not a PDF")
            dest.write(chunk)
            written += len(chunk)
            if progress is not None:
                progress(written, total)
        if len(head) < 5:
            raise mapping.malformed(call, f"the downloaded file is only {written} bytes")
        return written

    def sn_status(self, sn: str) -> SnStatus | None:
        def run(token: str) -> SnStatus | None:
            url = self._url(peruri.SN_STATUS)
            call, body = self._envelope(
                "sn_status", "GET", str(httpx.URL(url, params={"filter": sn})), token
            )
            try:
                return peruri.parse_sn_status(body, sn)
            except ShapeError as exc:
                mapping.shape_error(call, exc)

        return self.session.call(run)

    def sn_list(self, user_id: str | None = None) -> list[SnListEntry]:
        """Every SN the account bought; ``user_id`` defaults to the logged-in user's."""

        def run(token: str) -> list[SnListEntry]:
            uid = user_id
            if uid is None:
                current = self.session.user
                if current is None:
                    raise RuntimeError("not logged in")
                uid = current.user_id
            call, body = self._envelope(
                "sn_list",
                "GET",
                self._url(peruri.SN_LIST, user_id=uid),
                token,
            )
            try:
                return peruri.parse_sn_list(body)
            except ShapeError as exc:
                mapping.shape_error(call, exc)

        return self.session.call(run)
