"""Several counters on one shared database, killed at random: the torture's ``--counters``
form (``bench/torture.py --counters 3``) and its CI-sized test.

Each counter is a real ``meterai sync --once`` process with a data folder of its own;
they share one PostgreSQL database and one sandbox account. A killer SIGKILLs a random
running counter at random moments and each counter is started again when it ends,
until every request is done. The sandbox's ledger and the files on disk are the judge.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from meterai.outbox import Outbox, State
from meterai.outbox.postgres.address import ENV_VAR, DatabaseUrl
from meterai.outbox.postgres.connect import connect
from meterai.sandbox import SandboxServer
from meterai.settings import Paths, resolve_paths
from meterai.verify import Expectation, load_trust_roots, verify_stamped
from tests.support.sandbox import Admin, point_at, queue_documents


@dataclass
class CounterTally:
    counters: int = 0
    kills: int = 0
    requests: int = 0
    done: int = 0
    bought: int = 0
    stamped_twice: int = 0
    unverified: int = 0
    wrong_folder: int = 0
    logins: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"counters {self.counters}, kills {self.kills}, requests {self.requests}, "
            f"done {self.done}, serial numbers bought {self.bought}, stamped twice "
            f"{self.stamped_twice}, unverified {self.unverified}, in a wrong folder "
            f"{self.wrong_folder}, logins {self.logins} ({self.seconds:.0f} s)"
        )


def make_counters(root: Path, server: SandboxServer, count: int) -> list[Paths]:
    counters = []
    for n in range(1, count + 1):
        paths = resolve_paths(root / f"loket-{n}")
        point_at(paths, server)
        (paths.data_dir / "counter-name").write_text(f"loket-{n}\n")
        counters.append(paths)
    return counters


def _sync(paths: Paths) -> subprocess.Popen[bytes]:
    env = dict(os.environ, METERAI_STALL_TIMEOUT="3")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "meterai.cli.main",
            "--data-dir",
            str(paths.data_dir),
            "sync",
            "--once",
            "--concurrency",
            "4",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _pending(paths: Paths) -> int:
    box = Outbox.open(paths)
    try:
        for row in box.requests(states=[State.NEEDS_ATTENTION]):
            box.retry(row.id, detail="torture: retry")
        return box.count(states=[s for s in State if s not in (State.DONE, State.CANCELLED)])
    finally:
        box.close()


class _Counters:
    """The counter processes, each started again when it ends, until nothing is pending."""

    def __init__(self, counters: list[Paths]) -> None:
        self.counters = counters
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.lock = threading.Lock()

    def keep_running(self, deadline: float) -> None:
        """Start each counter again when it ends, while anything is left to do; then let
        the last runs finish."""
        while time.monotonic() < deadline and _pending(self.counters[0]):
            with self.lock:
                for n in range(len(self.counters)):
                    if self._ended(n):
                        self.procs[n] = _sync(self.counters[n])
            time.sleep(0.2)
        with self.lock:
            running = list(self.procs.values())
        for proc in running:
            proc.wait()

    def _ended(self, n: int) -> bool:
        proc = self.procs.get(n)
        return proc is None or proc.poll() is not None

    def kill_one(self, rng: random.Random) -> bool:
        with self.lock:
            alive = [p for p in self.procs.values() if p.poll() is None]
            if not alive:
                return False
            victim = rng.choice(alive)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            return True

    def stop(self) -> None:
        with self.lock:
            for proc in self.procs.values():
                if proc.poll() is None:
                    proc.kill()
                proc.wait()


def run_counters(
    root: Path, server: SandboxServer, url: str, *, counters: int, docs: int, kills: int, seed: int
) -> CounterTally:
    """Queue ``docs`` documents spread over ``counters`` counters, run them with ``kills``
    SIGKILLs at random moments, and judge the result. ``METERAI_DATABASE`` must name
    ``url`` (the caller sets it, so a test can undo it)."""
    assert os.environ.get(ENV_VAR) == url, "set METERAI_DATABASE to the shared database"
    rng = random.Random(seed)
    started = time.monotonic()
    paths = make_counters(root, server, counters)
    for n, counter in enumerate(paths):
        share = docs // counters + (1 if n < docs % counters else 0)
        queue_documents(counter, share, root / f"customers-{n + 1}")
    group = _Counters(paths)
    runner = threading.Thread(target=group.keep_running, args=(time.monotonic() + 900,))
    runner.start()
    done_kills = 0
    try:
        with connect(DatabaseUrl.parse(url)) as db:
            while done_kills < kills and runner.is_alive():
                _wait_for_moves(db, _journalled(db) + rng.randint(1, 3), runner)
                time.sleep(rng.uniform(0.0, 0.05))  # into the calls and writes after a move
                done_kills += group.kill_one(rng)
        runner.join()
    finally:
        group.stop()
    tally = judge_counters(root, server, paths, docs)
    tally.kills, tally.seconds = done_kills, time.monotonic() - started
    return tally


def _journalled(db: psycopg.Connection[Any]) -> int:
    """The shared journal's last row id: how far the counters have got."""
    row = db.execute("SELECT max(id) FROM journal").fetchone()
    return int(row[0] or 0) if row else 0


def _wait_for_moves(db: psycopg.Connection[Any], moves: int, runner: threading.Thread) -> None:
    """Until the counters journalled ``moves`` rows or stopped: kills follow their progress.

    They came every 0.1-0.7 s of the clock before; faster counters could finish their
    documents before the last kill, and a test asking for that many kills then failed
    (the same clock-bound flaw as the single-client torture's ``random_kills``).
    """
    while runner.is_alive() and _journalled(db) < moves:
        time.sleep(0.01)


def judge_counters(
    root: Path, server: SandboxServer, counters: list[Paths], docs: int
) -> CounterTally:
    tally = CounterTally(counters=len(counters), requests=docs)
    box = Outbox.open(counters[0])
    try:
        rows = box.requests()
        owners = {
            int(r["id"]): str(r["counter"])
            for r in box.backend.all("SELECT id, counter FROM requests")
        }
        logins = box.backend.one("SELECT coalesce(sum(logins), 0) AS n FROM tokens")
        prefix = f"mdk-{box.install_id()}-"
    finally:
        box.close()
    tally.logins = int(logins["n"]) if logins else 0
    admin = Admin(server)
    try:
        ledger = admin.http.get("/_sandbox/ledger").json()
    finally:
        admin.http.close()
    account = next(a for a in ledger["accounts"] if a["user"] == "demo")
    serials = [s for s in account["serials"] if prefix in (s["namafile"] or "")]
    tally.bought = len(serials)
    tally.stamped_twice = sum(1 for s in serials if s["stamp_count"] > 1)
    roots = load_trust_roots([server.ca_file])
    for row in rows:
        if row.state != State.DONE:
            tally.problems.append(f"request {row.id} ended {row.state}: {row.last_error}")
            continue
        tally.done += 1
        owner = int(owners[row.id].rsplit("-", 1)[1])
        output = Path(row.output_path or "")
        tally.wrong_folder += output.parent != root / f"customers-{owner}" / "out"
        tally.unverified += not _verifies(output, row, counters[owner - 1], roots)
    return tally


def _verifies(output: Path, row: Any, owner: Paths, roots: Any) -> bool:
    report = verify_stamped(
        output,
        roots,
        Expectation(
            original=owner.docs_dir / f"{row.doc_sha256}.pdf",
            page_index=row.page_index,
            rect=row.rect,
            serial_number=row.sn,
        ),
    )
    return bool(report.ok)
