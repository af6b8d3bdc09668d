"""The counter's day as a row: ``kiosk.py``'s 200 documents in bursts, concurrency 8 vs 1.

The real kiosk (watched inbox, intake, sync runner) against the sandbox in a
process of its own with 150 ms latency on every call: documents per minute from
the first arrival to the last document done, at concurrency 8 and at 1. Target
(issue 19): 8 is at least 7x 1. The note says where the rest goes: the median
stamping time of one document at each concurrency (time on the provider's round
trips; it would stay flat if nothing were shared) and the CPU time the kiosk and
the provider (the sandbox process and its signing workers) each spent, in all and
per document, with the load average.

One run of each (a run at concurrency 1 is 200 documents one after the other).

    .venv/bin/python bench/bench_kiosk.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import _common  # noqa: F401  (sys.path)
from _common import Row, cli
from kiosk import Clock, pdf_bytes
from kiosk import run as run_kiosk

COUNT, BURST, GAP = 200, 25, 2.0
QUICK_COUNT = 48


def per_minute(clock: Clock) -> float:
    first, last = min(clock.arrived.values()), max(clock.done.values())
    return 60 * len(clock.done) / (last - first)


def stamping(clock: Clock) -> float:
    return statistics.median(clock.done[i] - clock.started[i] for i in clock.done)


def run(args: argparse.Namespace) -> list[Row]:
    count = QUICK_COUNT if args.quick else COUNT

    def per_doc(cpu: float) -> str:
        return f"{1000 * cpu / count:.0f} ms"

    options = argparse.Namespace(count=count, burst=BURST, gap=GAP, quiet=True)
    with tempfile.TemporaryDirectory(prefix="meterai-bench-kiosk-") as tmp:
        sources = Path(tmp) / "sources"
        sources.mkdir()
        docs = [pdf_bytes(sources, f"doc-{i:03}") for i in range(count)]
        clocks = {c: run_kiosk(c, docs, options, Path(tmp) / f"c{c}") for c in (1, 8)}
    one, eight = per_minute(clocks[1]), per_minute(clocks[8])
    speedup = eight / one
    c1, c8 = clocks[1], clocks[8]
    note = (
        f"{count} documents in bursts of {BURST} every {GAP:.0f} s; one document's stamping "
        f"{stamping(c1):.2f} s at 1, {stamping(c8):.2f} s at 8; CPU at 8: kiosk "
        f"{c8.cpu_ours:.1f} s, provider {c8.cpu_provider:.1f} s (at 1: {c1.cpu_ours:.1f} s, "
        f"{c1.cpu_provider:.1f} s); CPU per document at 8: kiosk {per_doc(c8.cpu_ours)}, "
        f"provider {per_doc(c8.cpu_provider)} (sandbox and its signing workers); "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    return [
        Row(
            "kiosk, 150 ms latency, concurrency 8",
            f"{eight:.0f} documents/min",
            f"{one:.0f} documents/min (concurrency 1)",
            speedup,
            f"{speedup:.2f}x",
            ">= 7x",
            speedup >= 7,
            note,
        )
    ]


if __name__ == "__main__":
    cli(run, __doc__)
