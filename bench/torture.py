"""Long-form torture: real processes killed against a real sandbox, and the seeded simulation.

    python bench/torture.py --runs 500            # real processes (kills at points and times)
    python bench/torture.py --sim-seeds 10000     # the simulation, 50 requests a seed
    python bench/torture.py --counters 3          # 3 counters, one PostgreSQL database,
                                                  # 60 documents, 20 SIGKILLs at random moments

Prints the counts: runs, kills, requests, lost, double-bought, double-stamped, unverified.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.counters import CounterTally, run_counters
from tests.support.postgres import fresh_database, running_cluster
from tests.support.sandbox import Admin, point_at, queue_documents
from tests.support.torture_kit import POINTS, Tally, drain, judge, kill_run, random_kill

from meterai.sandbox import SandboxServer
from meterai.settings import resolve_paths
from meterai.sync.simulation import run_seed

FAULT_MODES: tuple[list[dict[str, object]], ...] = (
    [],
    [{"endpoint": "*", "fault": "drop_after_commit", "probability": 0.3}],
    [{"endpoint": "*", "fault": "drop_before_commit", "probability": 0.3}],
    [{"endpoint": "*", "fault": "http_error", "status": 503, "retry_after": 1, "probability": 0.3}],
    [{"endpoint": "*", "fault": "http_error", "status": 500, "probability": 0.2}],
    [{"endpoint": "*", "fault": "queue", "calls": 6, "retry_after": 1}],
    [{"endpoint": "*", "fault": "malformed_json", "probability": 0.2}],
    [{"endpoint": "*", "fault": "truncated_json", "probability": 0.2}],
    [{"endpoint": "stampv2", "fault": "hang", "count": 1, "seconds": 4}],
    [{"endpoint": "*", "fault": "latency", "seconds": 0.2}],
)


def real_runs(runs: int, seed: int, docs: int) -> Tally:
    rng = random.Random(seed)
    total = Tally()
    with (
        tempfile.TemporaryDirectory(prefix="meterai-torture-") as tmp,
        SandboxServer(Path(tmp) / "provider") as server,
    ):
        admin = Admin(server)
        for run in range(runs):
            admin.reset()
            faults = FAULT_MODES[run % len(FAULT_MODES)]
            admin.faults({"seed": rng.randrange(1 << 30), "rules": faults})
            paths = resolve_paths(Path(tmp) / f"client-{run}")
            point_at(paths, server)
            queue_documents(paths, docs, Path(tmp) / f"docs-{run}")
            kills = 0
            for _ in range(rng.randint(1, 3)):
                if rng.random() < 0.5:
                    kills += kill_run(paths, crash_at=rng.choice(POINTS))
                else:
                    kills += random_kill(paths, rng, most_moves=6 * docs)
            admin.faults({})
            drain(paths)
            tally = judge(paths, server, admin.http.get("/_sandbox/ledger").json(), docs)
            tally.runs, tally.kills = 1, kills
            total.add(tally)
            if tally.problems or tally.double_bought or tally.double_stamped:
                print(f"run {run}: {tally}", file=sys.stderr)
            if (run + 1) % 25 == 0:
                print(f"  {run + 1} runs, {total.kills} kills, lost {total.lost}", flush=True)
    return total


def _sim_block(args: tuple[int, int, int]) -> tuple[int, int, int, int, list[int]]:
    start, stop, requests = args
    crashes = restores = bought = 0
    bad = []
    for seed in range(start, stop):
        r = run_seed(seed, requests=requests)
        crashes, restores, bought = crashes + r.crashes, restores + r.restores, bought + r.bought
        if r.violations:
            bad.append(seed)
    return crashes, restores, bought, stop - start, bad


def simulation(seeds: int, requests: int, workers: int) -> None:
    step = 250
    blocks = [(s, min(s + step, seeds), requests) for s in range(0, seeds, step)]
    crashes = restores = bought = done = 0
    bad: list[int] = []
    started = time.monotonic()
    with ProcessPoolExecutor(workers) as pool:
        for c, r, b, n, v in pool.map(_sim_block, blocks):
            crashes, restores, bought, done = crashes + c, restores + r, bought + b, done + n
            bad += v
            print(f"  {done} seeds, {len(bad)} with violations", flush=True)
    print(
        f"simulation: {seeds} seeds x {requests} requests, {crashes} crashes, "
        f"{restores} backup restores, {bought} serial numbers bought, "
        f"violations in {len(bad)} seeds {bad[:10]} ({time.monotonic() - started:.0f} s)"
    )


def counters_run(args: argparse.Namespace) -> CounterTally:
    """Counters with their own data folders on one shared database (a throw-away
    PostgreSQL cluster) and one sandbox account, killed at random and restarted."""
    os.environ.setdefault("METERAI_LEASE_SECONDS", "5")
    with (
        tempfile.TemporaryDirectory(prefix="meterai-counters-") as tmp,
        running_cluster() as cluster,
        SandboxServer(Path(tmp) / "provider") as server,
    ):
        os.environ["PGPASSWORD"] = cluster.password
        url = os.environ["METERAI_DATABASE"] = fresh_database(cluster)
        return run_counters(
            Path(tmp),
            server,
            url,
            counters=args.counters,
            docs=args.counter_docs,
            kills=args.kills,
            seed=args.seed,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=0)
    parser.add_argument("--docs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sim-seeds", type=int, default=0)
    parser.add_argument("--sim-requests", type=int, default=50)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--counters", type=int, default=0)
    parser.add_argument("--counter-docs", type=int, default=60)
    parser.add_argument("--kills", type=int, default=20)
    args = parser.parse_args()
    if args.counters:
        print(f"several counters: {counters_run(args).line()}")
    if args.runs:
        t = real_runs(args.runs, args.seed, args.docs)
        print(
            f"real processes: runs {t.runs}, kills {t.kills}, requests {t.requests}, "
            f"lost {t.lost}, double-bought {t.double_bought}, "
            f"double-stamped {t.double_stamped}, unverified {t.unverified}"
        )
    if args.sim_seeds:
        simulation(args.sim_seeds, args.sim_requests, args.workers)


if __name__ == "__main__":
    main()
