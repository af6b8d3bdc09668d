"""GUI rows: the main window with 100,000 requests vs empty (first paint, peak RSS), and GUI start.

Each start is a child process (``_gui_child.py``, offscreen Qt) timed from spawn
to its first paint, after which it exits at once; peak RSS and CPU time from
``wait4``. The window is whatever ``meterai_desk.main_window.MainWindow`` is in the
tree today, built as the app builds it (``MainWindow(paths, TaskRunner(paths))``).
Medians of the runs, the three kinds interleaved. The start row's note gives the
children's CPU time too (user + system, medians), which the machine's load moves far
less than the wall-clock ratio, and the load average around the timed runs.

    .venv/bin/python bench/bench_gui.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from _common import PYTHON, Row, cli, compile_tree, median, ratio_row, run_child
from _outbox import make_outbox

COUNT = 100_000
QUICK_COUNT = 20_000
CHILD = str(Path(__file__).with_name("_gui_child.py"))
ENV = {"QT_QPA_PLATFORM": "offscreen"}


def run(args: argparse.Namespace) -> list[Row]:
    compile_tree()
    count = QUICK_COUNT if args.quick else COUNT
    with tempfile.TemporaryDirectory(prefix="meterai-bench-gui-") as tmp:
        big = make_outbox(Path(tmp) / "big", count)
        empty = make_outbox(Path(tmp) / "empty", 0)
        kinds = {
            "big": [PYTHON, CHILD, "window", str(big), str(count)],
            "empty": [PYTHON, CHILD, "window", str(empty), "0"],
            "bare": [PYTHON, CHILD, "bare"],
        }
        for cmd in kinds.values():  # warm the page cache
            run_child(cmd, env=ENV)
        secs: dict[str, list[float]] = {k: [] for k in kinds}
        rss: dict[str, list[float]] = {k: [] for k in kinds}
        cpu: dict[str, list[float]] = {k: [] for k in kinds}
        load_before = os.getloadavg()[0]
        for i in range(args.runs):
            order = list(kinds) if i % 2 == 0 else list(reversed(kinds))
            for kind in order:
                done = run_child(kinds[kind], env=ENV)
                secs[kind].append(done.seconds)
                rss[kind].append(done.max_rss_mb)
                cpu[kind].append(done.cpu_seconds)
        load_after = os.getloadavg()[0]
    b, e, f = (median(secs[k]) * 1e3 for k in ("big", "empty", "bare"))
    b_mb, e_mb = median(rss["big"]), median(rss["empty"])
    e_cpu, f_cpu = (median(cpu[k]) * 1e3 for k in ("empty", "bare"))
    delta = b_mb - e_mb
    time_row = ratio_row(
        f"GUI with a big outbox ({count:,} rows), first paint",
        b,
        e,
        unit="ms",
        limit=1.5,
        target="<= 1.5x time",
        fmt="{:.0f}",
        note="empty outbox as the floor",
    )
    mem_row = Row(
        f"GUI with a big outbox ({count:,} rows), peak RSS",
        f"{b_mb:.0f} MB",
        f"{e_mb:.0f} MB (empty outbox)",
        delta,
        f"+{delta:.1f} MB",
        "<= +50 MB",
        delta <= 50,
    )
    start_row = ratio_row(
        "GUI start, main window shown (empty outbox)",
        e,
        f,
        unit="ms",
        limit=1.7,
        target="<= 1.7x",
        fmt="{:.0f}",
        note=f"bare PySide6 QMainWindow as the floor; CPU per start {e_cpu:.0f} vs "
        f"{f_cpu:.0f} ms ({e_cpu / f_cpu:.2f}x); peak RSS {e_mb:.0f} vs "
        f"{median(rss['bare']):.0f} MB; load average {load_before:.2f} -> {load_after:.2f}",
    )
    return [time_row, mem_row, start_row]


if __name__ == "__main__":
    cli(run, __doc__)
