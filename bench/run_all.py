"""Run every benchmark, print one table and write it with the machine's description to RESULTS.md.

Each benchmark runs in its own child process (``bench_*.py --json``), one after
the other, so none inherits another's imports, caches or threads. Every row has
its target and says pass or fail; the run exits 1 if any row fails (or a
benchmark crashed). ``--quick`` runs each with a smaller workload and two runs
(a few minutes, for CI), and writes nothing unless ``--out`` is given.

    .venv/bin/python bench/run_all.py [--runs 5] [--only queue,verify] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from _common import Row, machine, rows_from_json, table

HERE = Path(__file__).resolve().parent
BENCHES = (
    "queue",
    "preflight",
    "sync",
    "latency",
    "degraded",
    "verify",
    "memory",
    "gui",
    "cli_start",
    "kiosk",
    "link",
    "fit",
)


def run_one(name: str, runs: int, quick: bool) -> tuple[list[Row], float]:
    started = time.perf_counter()
    cmd = [sys.executable, str(HERE / f"bench_{name}.py"), "--json", "--runs", str(runs)]
    done = subprocess.run(cmd + ["--quick"] * quick, capture_output=True, text=True, cwd=HERE)
    elapsed = time.perf_counter() - started
    try:
        return rows_from_json(done.stdout), elapsed  # a failing row exits 1 too
    except ValueError:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        crashed = Row(name, "-", "-", None, "-", "-", False, f"benchmark crashed: {tail[0]}")
        return [crashed], elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="comma-separated subset of: " + ", ".join(BENCHES))
    parser.add_argument(
        "--out", type=Path, help="where to write (default RESULTS.md; none if --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="smaller workloads and 2 runs, for CI")
    args = parser.parse_args()
    if args.quick:
        args.runs = min(args.runs, 2)
    if args.out is None and not args.quick:
        args.out = HERE / "RESULTS.md"
    names = args.only.split(",") if args.only else list(BENCHES)
    info = machine()
    started = time.perf_counter()
    rows: list[Row] = []
    timings: list[str] = []
    for name in names:
        print(f"running bench_{name}.py ...", file=sys.stderr, flush=True)
        got, seconds = run_one(name, args.runs, args.quick)
        rows.extend(got)
        timings.append(f"{name} {seconds:.0f} s")
    total = time.perf_counter() - started
    text = table(rows)
    print(text)
    passed = sum(r.passed for r in rows)
    print(f"\n{passed} of {len(rows)} rows pass in {total / 60:.1f} min", file=sys.stderr)
    if args.out is not None:
        write_results(args, rows, text, info, total, timings)
    sys.exit(0 if passed == len(rows) else 1)


def write_results(
    args: argparse.Namespace,
    rows: list[Row],
    text: str,
    info: dict[str, str],
    total: float,
    timings: list[str],
) -> None:
    info["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    passed = sum(r.passed for r in rows)
    command = "python bench/run_all.py" + " --quick" * args.quick
    lines = [
        "# Benchmark results",
        "",
        f"`{command}` on {dt.datetime.now().isoformat(timespec='minutes')}: "
        f"{passed} of {len(rows)} rows pass; the whole run took {total / 60:.1f} min "
        f"({', '.join(timings)}).",
        "",
        "Every figure is measured against its floor or peer on the same machine in the same "
        "run: times are medians of the runs with ours and the floor interleaved, memory is "
        "the peak RSS of a child process (wait4 ru_maxrss).",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## Results",
        "",
        text,
        "",
    ]
    notes = HERE / "NOTES.md"
    if notes.exists():
        lines += [notes.read_text().rstrip(), ""]
    args.out.write_text("\n".join(lines))
    print(f"\nwritten to {args.out} ({total / 60:.1f} min)", file=sys.stderr)


if __name__ == "__main__":
    main()
