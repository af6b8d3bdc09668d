"""The embedded sandbox, run as a child process of the desktop app.

In the GUI's own process the sandbox's signing (pyHanko, RSA in C code that keeps
the GIL) stalled the window for up to 150 ms per stamp; a real provider signs on its
own servers, so the app should not host signing either. A child process also means
a sandbox crash cannot take the window with it. The CLI's ``meterai sandbox serve``
is the child: it prints one fixed, untranslated ready line that is parsed here.

The child never outlives the app. A clean quit stops it (``stop``); the app quits
cleanly on SIGTERM (see ``app``); and if the app is killed outright, the child sees
its standard input, a pipe only the app holds, reach its end and stops. A pipe works
on every OS, where Linux's parent-death signal would not, and that signal fires when
the *thread* that started the child ends: the child is started on a worker thread
of a pool that retires idle threads, which would stop a healthy sandbox.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

from meterai import system
from meterai.errors import MeteraiError
from meterai.i18n import N_
from meterai.settings import SERVICES, Paths, Profile

READY = re.compile(r"^sandbox ready: (?P<url>\S+) ca: (?P<ca>.+)$")
START_TIMEOUT = 30.0


class SandboxDidNotStart(MeteraiError):
    code = "sandbox_did_not_start"
    template = N_("The built-in test service did not start: {detail}")


class SandboxProcess:
    def __init__(self, paths: Paths) -> None:
        self._paths = paths
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> Profile:
        """Start the child and wait for its ready line; blocking, so call it on a worker."""
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
            creationflags=system.NO_WINDOW,
        )
        match = self._await_ready()
        return Profile(
            name="sandbox",
            kind="sandbox",
            base_urls={service: match["url"] for service in SERVICES},
            tls_ca_file=str(Path(match["ca"].strip())),
            sign_ca_files=(str(Path(match["ca"].strip())),),
            user="demo",
        )

    def _await_ready(self) -> dict[str, str]:
        assert self._process is not None and self._process.stdout is not None
        found: dict[str, str] = {}
        stdout = self._process.stdout

        def read() -> None:
            for line in stdout:
                match = READY.match(line.strip())
                if match:
                    found.update(match.groupdict())
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        if not found:
            self.stop()
            raise SandboxDidNotStart(detail="no ready line")
        return found

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def cli_command() -> list[str]:
    """How to start ``meterai``: this interpreter running the module, or, in an installed
    bundle (where ``sys.executable`` is the GUI program itself), the bundle's own
    ``meterai`` program beside it."""
    if getattr(sys, "frozen", False):
        name = "meterai.exe" if sys.platform == "win32" else "meterai"
        return [str(Path(sys.executable).with_name(name))]
    return [sys.executable, "-m", "meterai.cli.main"]


def as_served(profile: Profile, served: Profile) -> Profile:
    """The user's sandbox profile, pointed at the child process."""
    return replace(
        profile,
        base_urls=served.base_urls,
        tls_ca_file=served.tls_ca_file,
        sign_ca_files=served.sign_ca_files,
    )
