"""The sandbox provider in a child process, so its signing never competes with ours for the GIL.

    python bench/_sandbox.py DATA_DIR   # prints {"base_url", "ca_file"}; serves until stdin closes

``ExternalSandbox`` starts it, exposes the admin calls (reset, faults), and makes
client data dirs whose active profile points at it.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
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


def _serve(data_dir: str) -> None:
    from meterai.sandbox import SandboxServer

    # Signing in worker processes, one per core, as a provider serving many clients does.
    with SandboxServer(data_dir, signing_processes=os.cpu_count() or 1) as server:
        print(json.dumps({"base_url": server.base_url, "ca_file": str(server.ca_file)}), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    _serve(sys.argv[1])
