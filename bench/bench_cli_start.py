"""CLI start: ``meterai status`` on an empty outbox vs ``python -c "import httpx, sqlite3"``.

Both are child processes timed from spawn to exit (wall clock), interleaved;
the median of the runs. The data dir exists and its outbox is empty (created
beforehand), so the figure is start-up plus opening an empty outbox.

    .venv/bin/python bench/bench_cli_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import (
    METERAI,
    PYTHON,
    Row,
    cli,
    compile_tree,
    interleaved,
    median,
    ratio_row,
    run_child,
)
from _outbox import make_outbox


def run(args: argparse.Namespace) -> list[Row]:
    compile_tree()
    with tempfile.TemporaryDirectory(prefix="meterai-bench-cli-") as tmp:
        empty = make_outbox(Path(tmp) / "empty", 0)
        ours_cmd = [METERAI, "--data-dir", str(empty), "--lang", "en", "status"]
        floor_cmd = [PYTHON, "-c", "import httpx, sqlite3"]
        ours_s, floor_s = interleaved(
            [lambda: run_child(ours_cmd).seconds, lambda: run_child(floor_cmd).seconds],
            max(args.runs, 9),
        )
    return [
        ratio_row(
            "CLI start, `meterai status` on an empty outbox",
            median(ours_s) * 1e3,
            median(floor_s) * 1e3,
            unit="ms",
            limit=2.0,
            target="<= 2x",
            fmt="{:.0f}",
        )
    ]


if __name__ == "__main__":
    cli(run, __doc__)
