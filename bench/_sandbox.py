"""The sandbox provider in a child process, so its signing never competes with ours for the GIL.

    python bench/_sandbox.py DATA_DIR   # prints {"base_url", "ca_file"}; serves until stdin closes

``ExternalSandbox`` starts it, exposes the admin calls (reset, faults), and makes
client data dirs whose active profile points at it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

import _common  # noqa: F401  (sys.path)
from _common import make_pdf
from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox
from meterai.sandbox import admin
from meterai.settings import Paths, Settings, resolve_paths


class ExternalSandbox:
    def __init__(self, data_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        info = json.loads(self.proc.stdout.readline())
        self.base_url: str = info["base_url"]
        self.ca_file = Path(info["ca_file"])
        self.admin = httpx.Client(
            base_url=self.base_url,
            verify=self.ssl_context(),
            headers=admin.headers_for(data_dir),
            timeout=60,
        )

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def reset(self, faults: dict[str, Any] | None = None) -> None:
        assert self.admin.post("/_sandbox/reset").status_code == 200
        assert self.admin.put("/_sandbox/faults", json=faults or {}).status_code == 200

    def settings_for(self, paths: Paths) -> Settings:
        """The data dir's active profile points at this sandbox, as the sync tests do."""
        from tests.support.sandbox import point_at  # after _common put the repo on sys.path

        return point_at(paths, self)  # type: ignore[arg-type]

    def template(self, folder: Path, count: int, **pdf: Any) -> Path:
        """A data dir with ``count`` queued documents, to be copied fresh for each run."""
        paths = resolve_paths(folder / "template")
        self.settings_for(paths)
        sources = folder / "sources"
        sources.mkdir(parents=True, exist_ok=True)
        box = Outbox.open(paths)
        try:
            for i in range(count):
                doc = make_pdf(sources / f"doc-{i}.pdf", **pdf)
                options = IntakeOptions(doc_type="3", out_dir=str(folder / "out"))
                queue_file(box, paths, doc, options)
        finally:
            box.close()
        return paths.data_dir

    @staticmethod
    def fresh(template: Path, dest: Path) -> Paths:
        shutil.copytree(template, dest)
        return resolve_paths(dest)

    def close(self) -> None:
        self.admin.close()
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(20)

    def __enter__(self) -> ExternalSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


PROFILE_ENV = "METERAI_SANDBOX_PROFILE"
"""A file name: the sandbox profiles every thread it runs (the event loop's, the worker
threads', the signing pool's feeders) on CPU time and writes the merged pstats there as it
stops. CPU time, not wall time: a thread waiting on a lock, a poll or an fsync costs the
machine nothing, and on the wall clock those waits buried the work (a lock's ``acquire``
was 70% of the wall-clock profile)."""
THREADS_ENV = "METERAI_SANDBOX_THREADS"
"""A file name: the sandbox writes there, as it stops, the CPU-seconds of each kind of
thread it ran (its signing processes not included) and its own CPU-seconds in all."""


class _ThreadWatch:
    """Each thread's CPU time by its kind (its name without the number), and optionally a
    cProfile per thread (cProfile sees only the thread that enabled it), merged."""

    def __init__(self, profile: bool) -> None:
        import cProfile
        import threading

        self.profiles: list[cProfile.Profile] = []
        self.cpu: dict[str, float] = {}
        original = threading.Thread._bootstrap_inner  # type: ignore[attr-defined]

        def watched(thread: threading.Thread) -> None:
            profile_run = cProfile.Profile(time.thread_time) if profile else None
            try:
                if profile_run is None:
                    original(thread)
                else:
                    self.profiles.append(profile_run)
                    profile_run.runcall(original, thread)
            finally:
                self._add(thread.name, time.thread_time())

        threading.Thread._bootstrap_inner = watched  # type: ignore[attr-defined]

    def _add(self, name: str, seconds: float) -> None:
        import re

        kind = re.sub(r"[-_ ]?\d+", "", name) or "thread"
        self.cpu[kind] = self.cpu.get(kind, 0.0) + seconds

    def _live_threads(self) -> None:
        """Threads still running (an idle pool's): their CPU so far, from /proc."""
        import threading

        for thread in threading.enumerate():
            if thread is threading.main_thread() or thread.native_id is None:
                continue
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
                ticks = stat.rsplit(")", 1)[1].split()
                self._add(thread.name, (int(ticks[11]) + int(ticks[12])) / os.sysconf("SC_CLK_TCK"))

    def dump(self, profile_to: str | None, threads_to: str | None) -> None:
        import pstats
        import resource

        if profile_to and self.profiles:
            pstats.Stats(*self.profiles).dump_stats(profile_to)
        if threads_to:
            self._live_threads()
            self._add("main", time.thread_time())
            use = resource.getrusage(resource.RUSAGE_SELF)
            report = {"process": use.ru_utime + use.ru_stime, "threads": self.cpu}
            Path(threads_to).write_text(json.dumps(report, indent=1) + "\n")


def _serve(data_dir: str) -> None:
    from meterai.sandbox import SandboxServer

    profile_to, threads_to = os.environ.get(PROFILE_ENV), os.environ.get(THREADS_ENV)
    watch = _ThreadWatch(bool(profile_to)) if profile_to or threads_to else None
    # Signing in worker processes, one per core, as a provider serving many clients does.
    with SandboxServer(data_dir, signing_processes=os.cpu_count() or 1) as server:
        print(json.dumps({"base_url": server.base_url, "ca_file": str(server.ca_file)}), flush=True)
        sys.stdin.read()
    if watch is not None:
        watch.dump(profile_to, threads_to)


if __name__ == "__main__":
    _serve(sys.argv[1])
