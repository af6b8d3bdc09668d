"""Issue 3's crash test: SIGKILL a process that is queueing documents, 50 times.

After every kill the data dir must hold a sound database, every request the worker
reported as queued (it reports only after the commit) with its document copy
intact, and no temp file that the next open does not sweep. The worker keeps
queueing into the same data dir, so later rounds start from whatever a kill left.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from meterai.documents import DocumentStore
from meterai.fsutil import TEMP_PREFIX
from meterai.outbox.store import Outbox
from meterai.settings import Paths, resolve_paths

WORKER = Path(__file__).with_name("crash_worker.py")
ROUNDS = 50
SEED = 20261124
READY_TIMEOUT = 30.0
QUEUED_BEFORE_KILL = (0, 1, 1, 2, 3)
"""How many documents a worker reports queued before its kill's random delay starts."""


class Worker:
    """One run of ``crash_worker.py``; its stdout is read on a thread so kills are on time."""

    def __init__(self, paths: Paths, scratch: Path, seed: int) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), str(paths.data_dir), str(scratch), str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.lines: list[bytes] = []
        self._progress = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._progress:
                self.lines.append(line)
                self._progress.notify_all()
        with self._progress:
            self._progress.notify_all()  # the worker's end is news, too

    def kill_after(self, queued: int, delay: float) -> None:
        """SIGKILL ``delay`` seconds after the worker reported ``queued`` requests.

        The kill follows the worker's progress, not the clock since its start: on a slow
        disk (fsync 0.12 s slower) kills at 0-0.4 s after ``ready`` found 12 requests
        queued in 50 rounds, so how much got tested depended on the machine's pace.
        """
        if not self._wait_for(lambda: b"ready\n" in self.lines):
            self.proc.kill()
            self._fail("worker never got ready")
        if not self._wait_for(lambda: len(self.reported()) >= queued):
            self.proc.kill()
            self._fail(f"worker did not queue {queued} documents")
        time.sleep(delay)
        if self.proc.poll() is not None:
            self._fail(f"worker died on its own ({self.proc.returncode})")
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        assert self.proc.returncode == -signal.SIGKILL
        self.close()

    def close(self) -> None:
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()

    def _wait_for(self, done: Callable[[], bool]) -> bool:
        """Wait until ``done()`` or the worker ends; ``False`` if it is not done by then."""
        with self._progress:
            self._progress.wait_for(
                lambda: done() or self.proc.poll() is not None, timeout=READY_TIMEOUT
            )
            return done()

    def reported(self) -> dict[int, str]:
        """Request id -> sha256 for every complete ``queued`` line (a torn last line is ignored)."""
        found = {}
        for line in self.lines:
            if line.startswith(b"queued ") and line.endswith(b"\n"):
                _word, request_id, sha256 = line.decode().split()
                found[int(request_id)] = sha256
        return found

    def _fail(self, why: str) -> None:
        self.proc.wait(timeout=10)
        assert self.proc.stderr is not None
        stderr = self.proc.stderr.read().decode(errors="replace")[-2000:]
        self.close()
        pytest.fail(f"{why}: {stderr}")


def _integrity(database: Path) -> list[str]:
    conn = sqlite3.connect(database)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_after_kill(paths: Paths, reported: dict[int, str]) -> int:
    """Every check of one round; returns how many temp files the kill left before the sweep."""
    assert _integrity(paths.database) == ["ok"]
    leftovers = len(list(paths.docs_dir.glob(TEMP_PREFIX + "*")))
    outbox = Outbox.open(paths)
    try:
        assert not list(paths.docs_dir.glob(TEMP_PREFIX + "*")), "Outbox.open left temp files"
        rows = {row.id: row for row in outbox.requests(limit=10_000)}
    finally:
        outbox.close()
    store = DocumentStore(paths.data_dir)
    for request_id, sha256 in reported.items():
        assert request_id in rows, f"request {request_id} was reported queued and is gone"
        assert rows[request_id].doc_sha256 == sha256
    # A request committed just before the kill but not yet reported must be whole, too.
    for row in rows.values():
        copy = store.path_for(row.doc_sha256)
        assert copy.is_file(), f"request {row.id} has no document copy"
        assert _sha256(copy) == row.doc_sha256, f"request {row.id}: copy damaged"
    return leftovers


@pytest.mark.slow
def test_sigkill_while_queueing_loses_nothing_reported(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    paths = resolve_paths(tmp_path / "data")
    scratch = tmp_path / "sources"
    reported: dict[int, str] = {}
    rounds_with_leftovers = 0
    started = time.monotonic()
    for _round in range(ROUNDS):
        worker = Worker(paths, scratch, seed=rng.randrange(1 << 30))
        # Sometimes during the first document, mostly at a random moment of a later one.
        worker.kill_after(queued=rng.choice(QUEUED_BEFORE_KILL), delay=rng.uniform(0.0, 0.4))
        for request_id, sha256 in worker.reported().items():
            assert reported.setdefault(request_id, sha256) == sha256, "an id was reused"
        rounds_with_leftovers += _check_after_kill(paths, reported) > 0
    assert DocumentStore(paths.data_dir).sweep() == 0
    elapsed = time.monotonic() - started
    print(
        f"\ncrash test: {ROUNDS} SIGKILLs, {len(reported)} reported requests intact, "
        f"{rounds_with_leftovers} kills left a temp file that the next open swept, "
        f"{elapsed:.1f} s"
    )
    assert len(reported) >= ROUNDS // 2
