"""Real-process torture: SIGKILL the sync process at protocol points or at random times.

Shared by the CI subset (``test_torture.py``) and the long form (``bench/torture.py``).
The provider is a real sandbox in the calling process; the victim is a real
``meterai sync`` process. After each kill the next run drains, and the sandbox's
ledger is the judge.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meterai.outbox import Outbox, State
from meterai.sandbox import SandboxServer
from meterai.settings import Paths
from meterai.verify import Expectation, load_trust_roots, verify_stamped

STATES = ("uploaded", "numbering", "numbered", "stamped", "downloaded", "verified", "done")
POINTS: tuple[str, ...] = (
    "upload:before_call",
    "upload:after_call",
    "numbering:after_commit",
    "buy:before_call",
    "buy:after_call",
    "numbered:after_commit",
    "stamp:before_call",
    "stamp:after_call",
    "download:before_call",
    "download:mid",
    "download:after_write",
    *(f"commit:{s}:{when}" for s in STATES for when in ("before", "after")),
)


@dataclass
class Tally:
    runs: int = 0
    kills: int = 0
    requests: int = 0
    lost: int = 0
    double_bought: int = 0
    double_stamped: int = 0
    unverified: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in (
            "runs",
            "kills",
            "requests",
            "lost",
            "double_bought",
            "double_stamped",
            "unverified",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems += other.problems


REPO = Path(__file__).resolve().parents[2]


def sync_command(paths: Paths, crash_at: str | None = None) -> list[str]:
    """``meterai sync --once``; with ``crash_at``, through the wrapper that kills it there."""
    wrapper = ["-m", "tests.support.crashing_sync", crash_at] if crash_at else []
    meterai = wrapper or ["-m", "meterai.cli.main"]
    return [
        sys.executable,
        *meterai,
        "--data-dir",
        str(paths.data_dir),
        "sync",
        "--once",
        "--concurrency",
        "2",
    ]


def run_sync(
    paths: Paths,
    *,
    crash_at: str | None = None,
    kill_after: float | None = None,
    kill_after_moves: int | None = None,
    timeout: float = 120,
) -> int:
    """One ``sync --once`` run, SIGKILLed ``kill_after`` seconds in, or once it has journalled
    ``kill_after_moves`` more moves (which, unlike a clock, lands while it is working however
    fast the code or the machine is)."""
    # The repository on the path for the crash wrapper (``tests.support.crashing_sync``).
    path = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))
    env = {**os.environ, "METERAI_STALL_TIMEOUT": "3", "PYTHONPATH": path}
    baseline = journalled_moves(paths) if kill_after_moves is not None else 0
    proc = subprocess.Popen(
        sync_command(paths, crash_at), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        if kill_after_moves is not None:
            _wait_for_moves(proc, paths, baseline + kill_after_moves, timeout)
        if kill_after is not None:
            with suppress(subprocess.TimeoutExpired):
                proc.wait(kill_after)
        if (kill_after is not None or kill_after_moves is not None) and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
    return proc.returncode


def journalled_moves(paths: Paths) -> int:
    """The journal's last row id, read as any second reader of the outbox would."""
    if not paths.database.exists():
        return 0
    try:
        with closing(sqlite3.connect(paths.database, timeout=5)) as db:
            row = db.execute("SELECT max(id) FROM journal").fetchone()
    except sqlite3.Error:
        return 0  # not created yet, or mid-migration: no move journalled so far
    return int(row[0] or 0)


def _wait_for_moves(
    proc: subprocess.Popen[bytes], paths: Paths, moves: int, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if journalled_moves(paths) >= moves:
            return
        time.sleep(0.002)


def drain(paths: Paths, attempts: int = 6) -> None:
    for _ in range(attempts):
        run_sync(paths)
        box = Outbox.open(paths)
        try:
            pending = box.count(states=[s for s in State if s is not State.DONE])
            for row in box.requests(states=[State.NEEDS_ATTENTION]):
                box.transition(row.id, State.QUEUED, detail="torture: retry")
        finally:
            box.close()
        if not pending:
            return


def judge(paths: Paths, server: SandboxServer, ledger: dict[str, Any], expected: int) -> Tally:
    tally = Tally(requests=expected)
    box = Outbox.open(paths)
    rows = box.requests()
    box.close()
    prefix = None
    if rows and rows[0].numbering_tag:
        prefix = rows[0].numbering_tag.rsplit("-", 1)[0]
    account = next(a for a in ledger["accounts"] if a["user"] == "demo")
    serials = [s for s in account["serials"] if prefix and prefix in (s["namafile"] or "")]
    done = [r for r in rows if r.state == State.DONE]
    tally.lost = expected - len(done)
    for row in rows:
        if row.state != State.DONE:
            tally.problems.append(f"request {row.id} ended {row.state}: {row.last_error}")
    tally.double_bought = max(0, len(serials) - expected)
    tally.double_stamped = sum(1 for s in serials if s["stamp_count"] > 1)
    roots = load_trust_roots([server.ca_file])
    for row in done:
        report = verify_stamped(
            Path(row.output_path or ""),
            roots,
            Expectation(
                original=paths.docs_dir / f"{row.doc_sha256}.pdf",
                page_index=row.page_index,
                rect=row.rect,
                serial_number=row.sn,
            ),
        )
        tally.unverified += not report.ok
    return tally


def kill_run(
    paths: Paths,
    *,
    crash_at: str | None = None,
    kill_after: float | None = None,
    kill_after_moves: int | None = None,
) -> int:
    """One killed run; returns 1 if the process really died by SIGKILL."""
    code = run_sync(
        paths, crash_at=crash_at, kill_after=kill_after, kill_after_moves=kill_after_moves
    )
    return int(code == -signal.SIGKILL)


def random_kill(paths: Paths, rng: random.Random, most_moves: int) -> int:
    """SIGKILL a run at a random moment of its work: after 1..``most_moves`` journalled moves,
    then up to 50 ms more, so the kill also lands inside calls, writes and downloads."""
    return kill_run(
        paths, kill_after_moves=rng.randint(1, most_moves), kill_after=rng.uniform(0, 0.05)
    )


def random_kills(paths: Paths, rng: random.Random, kills: int, most_moves: int = 12) -> int:
    done = 0
    for _ in range(kills):
        done += random_kill(paths, rng, most_moves)
        time.sleep(0.05)
    return done
