"""Degraded link: 64 kbit/s with 10% of responses dropped after the server committed; goodput.

The sandbox (own process) throttles every call to 8,000 bytes/s each way and drops
the connection after committing on 10% of calls (seeded). The engine runs at
concurrency 1, so the throttle (which the sandbox applies per call) models one link
that is never oversubscribed. Goodput is the useful payload (each document's bytes
uploaded once, each stamped result downloaded once) over the elapsed time, as a
share of the link's bandwidth. Retries, lost answers, headers, JSON, TLS,
reconciliation and back-off waits all count against it.

The documents are about 62 kB (a one-page scan; CASN uploads run 100-800 kB). With
the 11 kB documents this bench first used, goodput was 70-72% and a quarter of every
byte on the link was the provider's own QR image in the serial-number answer
(``image``, 13 kB of base64 that the client cannot decline): the figure measured the
protocol's fixed cost per stamp, not how the client uses a bad link.

    .venv/bin/python bench/bench_degraded.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import _common  # noqa: F401  (sys.path)
from _common import Row, cli, median
from _sandbox import ExternalSandbox
from bench_sync import sync_ours
from meterai.sync.runner import RunnerConfig

BYTES_PER_SECOND = 8_000  # 64 kbit/s
COUNT = 4
IMAGE_BYTES = 60_000


def faults(seed: int) -> dict[str, object]:
    return {
        "seed": seed,
        "rules": [
            {"endpoint": "*", "fault": "bandwidth", "bytes_per_second": BYTES_PER_SECOND},
            {"endpoint": "*", "fault": "drop_after_commit", "probability": 0.1},
        ],
    }


def useful_bytes(data_dir: Path) -> int:
    up = sum(p.stat().st_size for p in (data_dir / "docs").glob("*.pdf"))
    down = sum(p.stat().st_size for p in (data_dir / "stamped").glob("*.pdf"))
    return up + down


def run(args: argparse.Namespace) -> list[Row]:
    runs = 1 if args.quick else min(args.runs, 2)  # each run is about a minute of 64 kbit/s
    goodputs: list[float] = []
    details: list[str] = []
    with tempfile.TemporaryDirectory(prefix="meterai-bench-degraded-") as tmp:
        work = Path(tmp)
        with ExternalSandbox(work / "sandbox") as sandbox:
            template = sandbox.template(work, COUNT, image_bytes=IMAGE_BYTES)
            for i in range(runs):
                sandbox.reset(faults(seed=100 + i))
                paths = sandbox.fresh(template, work / f"run{i}")
                elapsed = sync_ours(paths, 1, RunnerConfig())
                payload = useful_bytes(paths.data_dir)
                goodputs.append(payload / elapsed / BYTES_PER_SECOND)
                details.append(f"{payload / 1e3:.0f} kB in {elapsed:.1f} s")
                shutil.rmtree(paths.data_dir)
    g = median(goodputs)
    return [
        Row(
            f"degraded link, 64 kbit/s, 10% responses dropped, {COUNT} documents of ~62 kB",
            f"{g * BYTES_PER_SECOND * 8 / 1000:.1f} kbit/s goodput",
            "64 kbit/s link",
            g,
            f"{g:.0%}",
            "goodput >= 80%",
            g >= 0.8,
            f"median of {runs} seeded runs ({'; '.join(details)})",
        )
    ]


if __name__ == "__main__":
    cli(run, __doc__)
