"""Reaching the provider: the embedded sandbox, the trust roots and the client, in one place.

Everything that talks to the provider (``sync``, ``recover``, the kiosk, the GUI's
runner, ``profile test``, the self-test) gets there through :func:`connect` or
:class:`EmbeddedSandbox`, so the order that matters is written once: the profile's
signature trust is checked before any call (a profile that could not verify a stamp
must not reconcile, buy or stamp; DESIGN section 8), and whatever was started before
a refusal is stopped again.

The embedded sandbox runs in this process for the CLI; the desktop app asks for it as
a child process instead. In the GUI's own process the sandbox's signing (pyHanko, RSA
in C code that keeps the GIL) stalled the window for up to 150 ms per stamp, and a
child also means a sandbox crash cannot take the window with it. The child is
``meterai sandbox serve``: it prints one fixed, untranslated ready line parsed here.
It never outlives its parent: a clean stop ends it, and if the parent is killed
outright the child sees its standard input, a pipe only the parent holds, reach its
end and stops. A pipe works on every OS, where Linux's parent-death signal would not,
and that signal fires when the *thread* that started the child ends: the GUI starts
it on a worker of a pool that retires idle threads, which would stop a healthy sandbox.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meterai import system
from meterai.errors import MeteraiError
from meterai.i18n import N_
from meterai.provider import PeruriProvider, ProviderClient
from meterai.settings import SERVICES, Paths, Profile
from meterai.trust import check_tls_root, signature_roots

if TYPE_CHECKING:
    from meterai.sandbox import SandboxServer

Credentials = Callable[[], tuple[str, str]]

READY = re.compile(r"^sandbox ready: (?P<url>\S+) ca: (?P<ca>.+)$")
START_TIMEOUT = 30.0


class SandboxDidNotStart(MeteraiError):
    code = "sandbox_did_not_start"
    template = N_("The built-in test service did not start: {detail}")


def served(profile: Profile, base_url: str, ca_file: str) -> Profile:
    """``profile`` pointed at a running sandbox: every service at its one URL, its CA the
    only trust root for TLS and for signatures."""
    return replace(
        profile,
        base_urls={service: base_url for service in SERVICES},
        tls_ca_file=ca_file,
        sign_ca_files=(ca_file,),
    )


class EmbeddedSandbox:
    """The built-in test provider of one data folder, in this process or as a child."""

    def __init__(self, paths: Paths, *, child: bool = False) -> None:
        self._paths = paths
        self._child = child
        self.server: SandboxServer | None = None
        self._process: subprocess.Popen[str] | None = None

    @property
    def signer(self) -> Path | None:
        """The stamps' signing certificate, when it is at hand (in this process only)."""
        return self.server.material.signer_cert if self.server is not None else None

    def start(self, profile: Profile) -> Profile:
        """Start it and return ``profile`` pointed at it; blocking (seconds for a child)."""
        if self._child:
            url, ca = self._start_child()
            return served(profile, url, ca)
        from meterai.sandbox import SandboxServer

        self.server = SandboxServer(self._paths.sandbox_dir)
        base = self.server.start()
        return served(profile, base, str(self.server.ca_file))

    def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.stop()
        process, self._process = self._process, None
        if process is not None:
            _end(process)

    def _start_child(self) -> tuple[str, str]:
        command = [
            *cli_command(),
            "--data-dir",
            str(self._paths.data_dir),
            "sandbox",
            "serve",
            "--data-dir",
            str(self._paths.sandbox_dir),
            "--stop-when-stdin-closes",
        ]
        # Nothing is ever written to the child's stdin: the pipe is only held open. Its
        # write end lives in this process alone (Popen's pipes are not inherited by
        # other children), so when this process ends, however it ends, the child reads
        # end-of-file and stops.
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",  # the child writes its ready line so, whatever the code page
            creationflags=system.NO_WINDOW,  # no console window on Windows
        )
        found = _ready_line(self._process)
        if not found:
            self.stop()
            raise SandboxDidNotStart(detail="no ready line")
        return found["url"], str(Path(found["ca"].strip()))


def cli_command() -> list[str]:
    """How to start ``meterai``: this interpreter running the module, or, in an installed
    bundle (where ``sys.executable`` is the GUI program itself), the bundle's own
    ``meterai`` program beside it."""
    if getattr(sys, "frozen", False):
        name = "meterai.exe" if sys.platform == "win32" else "meterai"
        return [str(Path(sys.executable).with_name(name))]
    return [sys.executable, "-m", "meterai.cli.main"]


def _ready_line(process: subprocess.Popen[str]) -> dict[str, str]:
    """The child's ready line as its parts; empty when none came in time."""
    assert process.stdout is not None
    found: dict[str, str] = {}
    stdout = process.stdout

    def read() -> None:
        for line in stdout:
            match = READY.match(line.strip())
            if match:
                found.update(match.groupdict())
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(START_TIMEOUT)
    return found


def _end(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()


@dataclass(eq=False)
class Connection:
    """A client for the profile's provider, the roots its stamps must chain to, and the
    embedded sandbox when the profile is the built-in one."""

    client: ProviderClient
    trust: list[Any]
    sandbox: EmbeddedSandbox | None = None
    provider: PeruriProvider = field(init=False)

    def __post_init__(self) -> None:
        self.provider = PeruriProvider(self.client)

    def close(self) -> None:
        self.client.close()
        if self.sandbox is not None:
            self.sandbox.stop()


def connect(
    paths: Paths,
    profile: Profile,
    *,
    credentials: Credentials | None = None,
    **client_options: Any,
) -> Connection:
    """Start the embedded sandbox if the profile is the built-in one, check the trust
    roots, and build the client; on any refusal, stop what was started."""
    sandbox = EmbeddedSandbox(paths) if profile.embedded else None
    try:
        target = sandbox.start(profile) if sandbox is not None else profile
        trust = signature_roots(target, sandbox.signer if sandbox is not None else None)
        check_tls_root(target)
        if credentials is None:
            from meterai.credentials import credentials_for

            credentials = credentials_for(profile)
        client = ProviderClient.from_profile(target, credentials=credentials, **client_options)
    except BaseException:
        if sandbox is not None:
            sandbox.stop()
        raise
    return Connection(client, trust, sandbox)
