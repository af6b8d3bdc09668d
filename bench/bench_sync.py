"""Sync, no injected latency: 100 documents end to end vs a bare script calling the same endpoints.

The sandbox runs in its own process (``_sandbox.py``), reset before every run. Ours
is ``SyncRunner(...).run_once()`` at the CLI's default concurrency (2) over a fresh
copy of a data dir with 100 queued one-page PDFs: upload, serial number, stamp,
download (temp file, fsync, rename), pyHanko verification, export, journal. The
peer is a bare httpx script doing login, then for each document in sequence
upload, stampv2, docSigningZ and getfile, writing the result to a file, with
no checks, no database and no fsync.

    .venv/bin/python bench/bench_sync.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (sys.path)
from _common import Row, api_client_over, cli, interleaved, median, ratio_row
from _sandbox import ExternalSandbox
from meterai.outbox import Outbox
from meterai.settings import Paths, load_settings
from meterai.sync.runner import RunnerConfig, SyncRunner

os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

COUNT = 100
QUICK_COUNT = 30


def sync_ours(paths: Paths, concurrency: int, config: RunnerConfig | None = None) -> float:
    settings = load_settings(paths)
    started = time.perf_counter()
    runner = SyncRunner(paths, settings, concurrency=concurrency, config=config)
    summary = runner.run_once()
    elapsed = time.perf_counter() - started
    box = Outbox.open(paths, check_integrity=False)
    try:
        done = box.count(states=["done"])  # type: ignore[list-item]
    finally:
        box.close()
    if done != box_total(paths):
        raise RuntimeError(f"only {done} requests done ({summary})")
    return elapsed


def box_total(paths: Paths) -> int:
    box = Outbox.open(paths, check_integrity=False)
    try:
        return box.count()
    finally:
        box.close()


def sync_bare(sandbox: ExternalSandbox, docs: list[Path], out: Path) -> float:
    """The peer: the same endpoints, in sequence, with nothing around them."""
    import httpx

    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with httpx.Client(base_url=sandbox.base_url, verify=sandbox.ssl_context(), timeout=120) as http:
        api = api_client_over(http)
        api.login()
        for i, doc in enumerate(docs):
            _sn, stamped = api.full_stamp(doc, nodoc=f"BENCH-{i}")
            (out / f"{doc.stem}-stamped.pdf").write_bytes(stamped)
    return time.perf_counter() - started


def run(args: argparse.Namespace) -> list[Row]:
    count = QUICK_COUNT if args.quick else COUNT
    with tempfile.TemporaryDirectory(prefix="meterai-bench-sync-") as tmp:
        work = Path(tmp)
        with ExternalSandbox(work / "sandbox") as sandbox:
            template = sandbox.template(work, count, image_bytes=20_000)
            docs = sorted((template / "docs").glob("*.pdf"))
            assert len(docs) == count, len(docs)
            counter = iter(range(10_000))

            def ours() -> float:
                sandbox.reset()
                run_dir = work / f"ours{next(counter)}"
                paths = sandbox.fresh(template, run_dir)
                elapsed = sync_ours(paths, concurrency=2, config=RunnerConfig())
                shutil.rmtree(run_dir)
                return elapsed

            def bare() -> float:
                sandbox.reset()
                out = work / f"bare{next(counter)}"
                elapsed = sync_bare(sandbox, docs, out)
                shutil.rmtree(out)
                return elapsed

            ours_s, bare_s = interleaved([ours, bare], args.runs, warmup=0)
    return [
        ratio_row(
            f"sync, no injected latency, {count} documents",
            median(ours_s),
            median(bare_s),
            unit="s",
            limit=1.15,
            target="<= 1.15x",
            note="ours at the CLI's default concurrency 2, with verification and fsyncs; "
            "sandbox in its own process",
        )
    ]


if __name__ == "__main__":
    cli(run, __doc__)
