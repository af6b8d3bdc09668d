"""A real `meterai kiosk` process killed mid-run and started again: nothing lost or repeated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from meterai.outbox import Outbox, State
from meterai.sandbox import SandboxServer
from meterai.settings import Paths
from tests.support.kiosk import pdf_bytes, sha256, slow_write
from tests.support.sandbox import Admin

COUNT = 40


def _kiosk(paths: Paths, root: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "METERAI_STALL_TIMEOUT": "3", "METERAI_LANG": "en"}
    cmd = [
        sys.executable,
        "-m",
        "meterai.cli.main",
        "--data-dir",
        str(paths.data_dir),
        "kiosk",
        "--inbox",
        str(root / "inbox"),
        "--outbox",
        str(root / "outbox"),
        "--type",
        "3",
        "--concurrency",
        "4",
        "--settle",
        "0.5",
    ]
    with (root / "kiosk.log").open("ab") as log:  # the child keeps its own copy
        return subprocess.Popen(cmd, env=env, stdout=log, stderr=log)


def _count(root: Path, pattern: str) -> int:
    """Progress read from the folders, not the database: while the kiosk runs, another
    process must not open its outbox (see the report: ``outbox/db.py``'s header check
    breaks SQLite's locks in a process that already has connections, and a reader
    closing in another process then deletes the WAL under it)."""
    return len(list((root / "outbox").glob(pattern)))


def _wait(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_a_killed_kiosk_restarts_without_losing_or_repeating(
    tmp_path: Path, kiosk_paths: Paths, admin: Admin, provider: SandboxServer
) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    docs = {f"k-{i:02}.pdf": pdf_bytes(sources, f"k-{i:02}") for i in range(COUNT)}
    customers = ("budi", "siti")
    inbox = tmp_path / "inbox"

    def writer() -> None:
        for i, (name, data) in enumerate(docs.items()):
            slow_write(inbox / customers[i % 2] / name, data, pause=0.01)

    first = _kiosk(kiosk_paths, tmp_path)
    try:
        feeding = threading.Thread(target=writer)
        feeding.start()
        _wait(lambda: _count(tmp_path, "*/originals/*.pdf") >= 12, 60)
        first.send_signal(signal.SIGKILL)  # mid-intake and mid-stamping
        first.wait(10)
        feeding.join()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == -signal.SIGKILL

    second = _kiosk(kiosk_paths, tmp_path)
    try:
        _wait(lambda: _count(tmp_path, "*/*-emeterai.pdf") >= COUNT, 90)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()

    box = Outbox.open(kiosk_paths)
    rows = box.requests()
    box.close()
    assert [r.state for r in rows] == [State.DONE] * COUNT
    assert sorted(r.doc_sha256 for r in rows) == sorted(sha256(d) for d in docs.values())
    serials = admin.serials()
    assert len(serials) == COUNT and all(s["stamp_count"] == 1 for s in serials)
    for customer in customers:
        assert not list((inbox / customer).iterdir())
        stamped = list((tmp_path / "outbox" / customer).glob("*-emeterai.pdf"))
        assert len(stamped) == COUNT // 2
    staged = [p for p in (inbox / ".meterai-kiosk").rglob("*") if p.is_file()]
    assert staged == []
    assert not (tmp_path / "rejected").exists() or not any((tmp_path / "rejected").rglob("*"))
