"""A big outbox: ``meterai status`` with 100,000 requests vs an empty outbox, time and memory.

Both are the installed ``meterai`` script in a child process (output to /dev/null),
timed from spawn to exit; memory is the child's peak RSS from ``wait4``
(``ru_maxrss``); medians of the runs, interleaved. Targets (issue 19): at most 1.5x
the empty outbox's time and 50 MB more memory. The outbox is opened once before
timing, as any earlier command would have: a full integrity check runs only on a
file changed since the last one passed (``outbox/db.py``).

    .venv/bin/python bench/bench_memory.py [--runs 5]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import METERAI, Row, cli, median, ratio_row, run_child
from _outbox import make_outbox

COUNT = 100_000
QUICK_COUNT = 20_000


def status(data_dir: Path) -> tuple[float, float]:
    done = run_child(
        [METERAI, "--data-dir", str(data_dir), "--lang", "en", "status"],
        stdout_to_devnull=True,
    )
    return done.max_rss_mb, done.seconds


def run(args: argparse.Namespace) -> list[Row]:
    count = QUICK_COUNT if args.quick else COUNT
    with tempfile.TemporaryDirectory(prefix="meterai-bench-memory-") as tmp:
        big = make_outbox(Path(tmp) / "big", count)
        empty = make_outbox(Path(tmp) / "empty", 0)
        rss: dict[str, list[float]] = {"big": [], "empty": []}
        secs: dict[str, list[float]] = {"big": [], "empty": []}
        status(big)  # warm the page cache
        status(empty)
        for i in range(args.runs):
            for which in ("big", "empty") if i % 2 == 0 else ("empty", "big"):
                mb, seconds = status(big if which == "big" else empty)
                rss[which].append(mb)
                secs[which].append(seconds)
    b, e = median(rss["big"]), median(rss["empty"])
    delta = b - e
    time_row = ratio_row(
        f"`meterai status` with {count:,} requests",
        median(secs["big"]) * 1e3,
        median(secs["empty"]) * 1e3,
        unit="ms",
        limit=1.5,
        target="<= 1.5x the empty outbox",
        fmt="{:.0f}",
        note="lists the newest 500 and those needing attention, counts the rest",
    )
    mem_row = Row(
        f"memory, `meterai status` with {count:,} requests",
        f"{b:.0f} MB peak RSS",
        f"{e:.0f} MB (empty outbox)",
        delta,
        f"+{delta:.1f} MB",
        "<= +50 MB peak RSS",
        delta <= 50,
    )
    return [time_row, mem_row]


if __name__ == "__main__":
    cli(run, __doc__)
