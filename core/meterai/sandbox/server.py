"""Running the sandbox: uvicorn on its own thread and event loop, loopback only, TLS by default.

The same class serves ``meterai sandbox serve`` and the in-process sandbox the
app starts for its default profile, so a fresh install works with no account
and no network. ``start()`` returns only once the port accepts connections, so
a caller never races the server. Binding anything but 127.0.0.1 is refused: the
service hands out stamps to anyone who knows ``demo/demo``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from meterai.errors import MeteraiError, UsageError
from meterai.i18n import N_
from meterai.sandbox import admin, pki
from meterai.sandbox.app import Limits, SandboxService, build_app, endpoint_of
from meterai.sandbox.faults import FaultConfigError, FaultPlan
from meterai.sandbox.faultware import ConnectionRegistry, FaultMiddleware, protocol_class
from meterai.sandbox.ledger import Ledger
from meterai.sandbox.stamping import Stamper

LOOPBACK = "127.0.0.1"
_LOOPBACK_NAMES = {"127.0.0.1", "localhost"}
DATABASE_NAME = "sandbox.sqlite3"


class NotLoopback(UsageError):
    code = "sandbox_not_loopback"
    template = N_(
        "The sandbox only listens on 127.0.0.1 (loopback); refusing to bind {host}. "
        "It hands out test stamps to anyone who can reach it."
    )


class SandboxStartFailed(MeteraiError):
    code = "sandbox_start_failed"
    template = N_("The sandbox could not start on port {port}: {detail}")


class BadFaultFile(UsageError):
    code = "sandbox_bad_faults"
    template = N_("The fault file {path} is not valid: {detail}")


def load_fault_file(path: str | os.PathLike[str]) -> FaultPlan:
    try:
        return FaultPlan.from_json(json.loads(Path(path).read_text("utf-8")))
    except (OSError, ValueError, FaultConfigError) as exc:
        raise BadFaultFile(path=str(path), detail=str(exc)) from exc


class SandboxServer:
    """The sandbox provider on one loopback port; usable as a context manager.

    ``signing_processes`` > 0 signs stamps in that many worker processes
    (:mod:`meterai.sandbox.stamping`), as a provider serving many clients would; 0, the
    embedded sandbox's choice, signs on the server's own threads.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        host: str = LOOPBACK,
        port: int = 0,
        tls: bool = True,
        faults: FaultPlan | dict[str, Any] | None = None,
        token_lifetime: float = 24 * 3600.0,
        retention: float = 72 * 3600.0,
        max_file_bytes: int = 20 * 1024 * 1024,
        log_level: str = "warning",
        clock: Callable[[], float] = time.time,
        signing_processes: int = 0,
    ) -> None:
        if host not in _LOOPBACK_NAMES:
            raise NotLoopback(host=host)
        self.data_dir = Path(data_dir)
        self.port = port
        self.tls = tls
        self.plan = faults if isinstance(faults, FaultPlan) else FaultPlan.from_json(faults or {})
        self.limits = Limits(token_lifetime, retention, max_file_bytes)
        self.log_level = log_level
        self.clock = clock
        self.signing_processes = signing_processes
        self.material = pki.material_in(self.data_dir / "ca")
        self.ledger: Ledger | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._middleware: FaultMiddleware | None = None
        self.stamper: Stamper | None = None
        self._failure: BaseException | None = None
        self.admin_secret = ""

    @property
    def ca_file(self) -> Path:
        """The PEM file of the sandbox CA: the only trust root of the sandbox profile."""
        return self.material.ca_file

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{LOOPBACK}:{self.port}"

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts the sandbox CA and nothing else."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    @property
    def admin_headers(self) -> dict[str, str]:
        """What an admin call (``/_sandbox/...``) must carry; only once started."""
        return admin.headers_for(self.data_dir)

    def admin_client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client for the admin API: the one helper tests and tools go through."""
        return httpx.Client(
            base_url=self.base_url,
            verify=self.ssl_context(),
            headers=self.admin_headers,
            **kwargs,
        )

    def start(self, timeout: float = 10.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.material = pki.ensure(self.data_dir / "ca")
        self.ledger = Ledger(self.data_dir / DATABASE_NAME)
        self.stamper = Stamper(self.material, self.signing_processes)
        self.stamper.start()
        service = SandboxService(
            self.data_dir,
            self.ledger,
            self.stamper,
            self.plan,
            self.limits,
            self.clock,
        )
        service.expire_results()
        registry = ConnectionRegistry()
        self.admin_secret = admin.ensure_secret(self.data_dir)
        app = build_app(service, self.admin_secret)
        self._middleware = FaultMiddleware(app, self.plan, registry, endpoint_of)
        sock = self._bind()
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._middleware,
            http=protocol_class(registry, self.plan.link_rate),
            lifespan="off",
            # Nobody's proxy: the socket's peer is the caller, whatever a header says.
            proxy_headers=False,
            log_level=self.log_level,
            access_log=False,
            timeout_graceful_shutdown=1,
            ssl_certfile=str(self.material.tls_cert) if self.tls else None,
            ssl_keyfile=str(self.material.tls_key) if self.tls else None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name="meterai-sandbox", daemon=True
        )
        self._thread.start()
        self._wait_ready(timeout)
        return self.base_url

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, self.port))
        except OSError as exc:
            sock.close()
            raise SandboxStartFailed(port=self.port, detail=exc.strerror or str(exc)) from exc
        return sock

    def _run(self, sock: socket.socket) -> None:
        assert self._server is not None
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._server.serve(sockets=[sock]))
        except BaseException as exc:  # reported to start() / stop() on the caller's thread
            self._failure = exc
        finally:
            loop.close()
            sock.close()

    def _wait_ready(self, timeout: float) -> None:
        assert self._server is not None and self._thread is not None
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                detail = repr(self._failure) if self._failure else "did not become ready"
                self.stop()
                raise SandboxStartFailed(port=self.port, detail=detail)
            time.sleep(0.01)
        with socket.create_connection((LOOPBACK, self.port), timeout=timeout):
            pass

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            loop, middleware = self._loop, self._middleware
            if loop is not None and middleware is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(middleware.stopping.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.stamper is not None:
            self.stamper.close()
        if self.ledger is not None:
            self.ledger.close()
        self._server = self._thread = self._loop = None
        self.ledger = None
        self.stamper = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
