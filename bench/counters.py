"""Several counters on one shared database: 3 counters at concurrency 4 each against one.

200 documents, every provider call delayed by 150 ms (the sandbox's latency fault), a
throw-away PostgreSQL cluster and the sandbox in its own process. Each form runs
``meterai sync --once --concurrency 4`` processes (1, then ``--counters``) on a fresh
database with the documents spread over the counters' folders, until every request is
done. Prints both times, the ratio (target >= 2.7 for 3 counters) and the logins the
account saw (target: one per token lifetime, whatever the number of counters).

Where the time goes, sampled from the server every 20 ms during each drain: how many
counter sessions on average stood waiting on a lock (the outbox's write lock is an
advisory lock) and how many held a transaction open while their process was busy
elsewhere ("idle in transaction"). One lock for every move of every counter showed as
3.75 waiting sessions at 3 counters; moves of one request now share it.

Wall-clock ratios of a CPU-bound drain swing with the machine's load, so each form also
prints the CPU-seconds per document spent by each kind of process (the counters, the
sandbox, the PostgreSQL server with its backends) and the load average: those figures do
not depend on what else runs. The counters start warm (``_warm_start``), as the other
start-up rows do.

    .venv/bin/python bench/counters.py [--docs 200] [--latency 0.15] [--counters 3]
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import _common  # noqa: F401  (sys.path)
from _common import compile_tree, make_pdf
from _sandbox import ExternalSandbox
from meterai.i18n import CACHE_DIR_ENV, language_from_environment, translations
from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox, State
from meterai.settings import Paths, resolve_paths

os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def _counters(root: Path, sandbox: ExternalSandbox, count: int) -> list[Paths]:
    made = []
    for n in range(1, count + 1):
        paths = resolve_paths(root / f"loket-{n}")
        sandbox.settings_for(paths)
        (paths.data_dir / "counter-name").write_text(f"loket-{n}\n")
        made.append(paths)
    return made


def _queue(counters: list[Paths], docs: int, sources: Path) -> None:
    sources.mkdir(parents=True, exist_ok=True)
    for i in range(docs):
        paths = counters[i % len(counters)]
        box = Outbox.open(paths)
        try:
            pdf = make_pdf(sources / f"doc-{i}.pdf")
            queue_file(box, paths, pdf, IntakeOptions(doc_type="3", out_dir=str(sources / "out")))
        finally:
            box.close()


def _name(paths: Paths) -> str:
    return (paths.data_dir / "counter-name").read_text().strip()


class Launch:
    """When each counter's process started and ended (wall clock, as the journal's ``at``)."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}


def _drain(counters: list[Paths], launch: Launch) -> float:
    started = time.perf_counter()
    procs = []
    for p in counters:
        launch.started[_name(p)] = time.time()
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "meterai.cli.main",
                    "--data-dir",
                    str(p.data_dir),
                    "sync",
                    "--once",
                    "--concurrency",
                    "4",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    def reap(name: str, proc: subprocess.Popen[bytes]) -> None:
        proc.wait()
        launch.ended[name] = time.time()

    reapers = [
        threading.Thread(target=reap, args=(_name(p), proc))
        for p, proc in zip(counters, procs, strict=True)
    ]
    for reaper in reapers:
        reaper.start()
    for reaper in reapers:
        reaper.join()
    return time.perf_counter() - started


def _fixed_costs(box: Outbox, launch: Launch) -> str:
    """Each counter's fixed costs, from its journal rows: launch to its first move, its
    last move to its exit (the mean over the counters, and the worst)."""
    firsts, tails = [], []
    for name, began in launch.started.items():
        row = box.backend.one(
            "SELECT min(at) AS first, max(at) AS last FROM journal"
            " WHERE counter = ? AND from_state IS NOT NULL AND at >= ?",
            [name, began],
        )
        if row is None or row["first"] is None:
            continue
        firsts.append(row["first"] - began)
        tails.append(launch.ended[name] - row["last"])
    if not firsts:
        return "no moves"
    return (
        f"launch to first move {sum(firsts) / len(firsts):.2f} s (worst {max(firsts):.2f}), "
        f"last move to exit {sum(tails) / len(tails):.2f} s (worst {max(tails):.2f})"
    )


def _process_cpu(pid: int) -> float:
    """CPU-seconds of ``pid``, its live descendants and the children it has reaped."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def _server_pid(cluster: object) -> int:
    """The postmaster's pid, from its data folder (the cluster helper does not keep it)."""
    folder = Path(cluster.folder)  # type: ignore[attr-defined]
    return int((folder / "data" / "postmaster.pid").read_text().split()[0])


class CpuUse:
    """CPU-seconds each kind of process spends while a form drains (load-independent)."""

    def __init__(self, sandbox_pid: int, server_pid: int) -> None:
        self._pids = {"sandbox": sandbox_pid, "postgresql": server_pid}
        self.spent: dict[str, float] = {}

    @staticmethod
    def _counters() -> float:
        use = resource.getrusage(resource.RUSAGE_CHILDREN)
        return use.ru_utime + use.ru_stime

    def __enter__(self) -> CpuUse:
        self._start = {"counters": self._counters()}
        self._start.update({k: _process_cpu(pid) for k, pid in self._pids.items()})
        return self

    def __exit__(self, *exc: object) -> None:
        self.spent = {"counters": self._counters() - self._start["counters"]}
        for kind, pid in self._pids.items():
            self.spent[kind] = _process_cpu(pid) - self._start[kind]

    def line(self, docs: int) -> str:
        parts = [f"{kind} {spent / docs:.4f}" for kind, spent in self.spent.items()]
        total = sum(self.spent.values()) / docs
        return f"CPU-s per document: {', '.join(parts)}, total {total:.4f}"


class Waits:
    """Samples ``pg_stat_activity`` for the counters' sessions while a form drains."""

    def __init__(self, url: str) -> None:
        self._url, self._stop = url, threading.Event()
        self.seen: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Waits:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        from meterai.outbox.postgres.address import DatabaseUrl
        from meterai.outbox.postgres.connect import connect

        with connect(DatabaseUrl.parse(self._url)) as conn:
            while not self._stop.wait(0.02):
                rows = conn.execute(
                    "SELECT wait_event_type, state FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid != pg_backend_pid()"
                    " AND application_name = 'meterai-desk'"
                ).fetchall()
                self.samples += 1
                for wait, state in rows:
                    self.seen["lock" if wait == "Lock" else str(state)] += 1

    def line(self) -> str:
        n = max(1, self.samples)
        return (
            f"waiting on a lock {self.seen['lock'] / n:.2f}, "
            f"idle in transaction {self.seen['idle in transaction'] / n:.2f}"
        )


def one_form(
    cluster: object, sandbox: ExternalSandbox, root: Path, args: argparse.Namespace, count: int
) -> tuple[float, int]:
    sandbox.reset({"rules": [{"endpoint": "*", "fault": "latency", "seconds": args.latency}]})
    from tests.support.postgres import fresh_database

    url = os.environ["METERAI_DATABASE"] = fresh_database(cluster)  # type: ignore[arg-type]
    counters = _counters(root / f"form-{count}", sandbox, count)
    _queue(counters, args.docs, root / f"form-{count}" / "sources")
    load = os.getloadavg()
    launch = Launch()
    with CpuUse(sandbox.proc.pid, _server_pid(cluster)) as cpu, Waits(url) as waits:
        elapsed = _drain(counters, launch)
    print(f"{count} counter(s): sessions on average: {waits.line()}", flush=True)
    print(
        f"{count} counter(s): {elapsed:.1f} s; {cpu.line(args.docs)}; "
        f"load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    box = Outbox.open(counters[0])
    try:
        done = box.count(states=[State.DONE])
        logins = box.backend.one("SELECT coalesce(sum(logins), 0) AS n FROM tokens")
        print(f"{count} counter(s): fixed costs: {_fixed_costs(box, launch)}", flush=True)
    finally:
        box.close()
    if done != args.docs:
        raise SystemExit(f"{count} counter(s): only {done} of {args.docs} done")
    return elapsed, int(logins["n"]) if logins else 0


def _warm_start(cache: Path) -> None:
    """Every counter starts as a counter PC's second start does, not as a first start
    after an edit: our modules byte-compiled (this shell sets ``PYTHONDONTWRITEBYTECODE``)
    and the compiled catalogue in a cache folder of the bench's own (the user's is shared
    with other checkouts of the repository, whose catalogues replace each other's)."""
    compile_tree()
    os.environ[CACHE_DIR_ENV] = str(cache)
    translations(language_from_environment())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--counters", type=int, default=3)
    args = parser.parse_args()
    from tests.support.postgres import running_cluster  # after _common put the repo on sys.path

    with (
        tempfile.TemporaryDirectory(prefix="meterai-bench-counters-") as tmp,
        running_cluster() as cluster,
    ):
        os.environ["PGPASSWORD"] = cluster.password
        _warm_start(Path(tmp) / "cache")
        with ExternalSandbox(Path(tmp) / "provider") as sandbox:
            one, one_logins = one_form(cluster, sandbox, Path(tmp), args, 1)
            many, many_logins = one_form(cluster, sandbox, Path(tmp), args, args.counters)
    print(
        f"{args.docs} documents at {args.latency * 1000:.0f} ms latency: 1 counter "
        f"{one:.1f} s ({one_logins} login), {args.counters} counters {many:.1f} s "
        f"({many_logins} login); ratio {one / many:.2f}x (target >= 2.7)"
    )


if __name__ == "__main__":
    main()
