"""Memory of a big outbox: ``meterai status`` with 10,000 requests vs an empty outbox.

Both are the installed ``meterai`` script in a child process (output to /dev/null);
the figure is the child's peak RSS from ``wait4`` (``ru_maxrss``), the median of
the runs, interleaved. Target: at most 40 MB more than the empty outbox.

    .venv/bin/python bench/bench_memory.py [--runs 5]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import METERAI, Row, cli, median, run_child
from _outbox import make_outbox

COUNT = 10_000


def status(data_dir: Path) -> tuple[float, float]:
    done = run_child(
        [METERAI, "--data-dir", str(data_dir), "--lang", "en", "status"],
        stdout_to_devnull=True,
    )
    return done.max_rss_mb, done.seconds


def run(args: argparse.Namespace) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="meterai-bench-memory-") as tmp:
        big = make_outbox(Path(tmp) / "big", COUNT)
        empty = make_outbox(Path(tmp) / "empty", 0)
        big_rss, empty_rss, big_s = [], [], []
        status(big)  # warm the page cache
        for i in range(args.runs):
            for which in ("big", "empty") if i % 2 == 0 else ("empty", "big"):
                rss, seconds = status(big if which == "big" else empty)
                (big_rss if which == "big" else empty_rss).append(rss)
                if which == "big":
                    big_s.append(seconds)
    b, e = median(big_rss), median(empty_rss)
    delta = b - e
    return [
        Row(
            f"memory, `meterai status` with {COUNT:,} requests",
            f"{b:.0f} MB peak RSS",
            f"{e:.0f} MB (empty outbox)",
            delta,
            f"+{delta:.1f} MB",
            "<= +40 MB peak RSS",
            delta <= 40,
            f"big outbox listed in {median(big_s):.2f} s",
        )
    ]


if __name__ == "__main__":
    cli(run, __doc__)
