"""Queue (add): 200 PDFs of 100 KB to 10 MB into the store, pre-flight excluded, vs cp + fsync.

Ours is ``meterai.intake.queue_files`` (what ``meterai add`` with many files does: each
copy fsynced, one folder fsync, one transaction) into a fresh data dir, with
the pre-flight report computed beforehand (the issue excludes it: it has its own
row), so what is timed is the placement, the check of what lies under the stamp
(``meterai.overlap``: PDFium draws the box's neighbourhood), the content-addressed
copy (hash while copying, fsync, rename, directory fsync) and the request's
transaction; a batch reads the next files in worker processes (one per core) while it
copies one in.
The floor is copying the same bytes with ``shutil.copyfile`` (``sendfile``, what
``cp`` does) and fsyncing each copy and the folder. Sizes are spread
geometrically from 100 KB to 10 MB (about 430 MB in all). Each file's bulk is a
noise picture that lies under the default stamp box, so the check must decode
all of it (PDFium decodes a whole picture to draw any part of it), once per file
(about 1.5 ms of CPU per document on average with PDFium's page load), which the
floor does not pay; and every file is hashed (SHA-256, about 1.5 ms), which the
floor does not pay either.

Wall-clock ratios swing with the load of a shared machine, so the note also gives
each side's CPU-seconds per document (this process's user + system time over the
timed part, hashing threads and the kernel's copy included, plus its reading
workers', which the batch waits for before it returns) and the load average at the
start and the end.

    .venv/bin/python bench/bench_queue.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from _common import Row, cli, interleaved, make_pdf, median, ratio_row
from meterai import intake
from meterai.documents import preflight
from meterai.fsutil import fsync_dir
from meterai.intake import IntakeOptions, queue_files
from meterai.outbox import Outbox
from meterai.settings import resolve_paths

COUNT = 200
QUICK_COUNT = 50
SMALLEST, LARGEST = 100_000, 10_000_000


def make_sources(folder: Path, count: int = COUNT) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(count):
        size = SMALLEST * (LARGEST / SMALLEST) ** (i / max(1, count - 1))
        files.append(make_pdf(folder / f"doc{i:03}.pdf", image_bytes=int(size)))
    return files


def run(args: argparse.Namespace) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="meterai-bench-queue-", dir=_scratch()) as tmp:
        work = Path(tmp)
        count = QUICK_COUNT if args.quick else COUNT
        files = make_sources(work / "sources", count)
        total = sum(f.stat().st_size for f in files)
        reports = {f: preflight(f) for f in files}
        counter = iter(range(10_000))
        cpu: dict[str, list[float]] = {"ours": [], "floor": []}
        load_before = os.getloadavg()[0]

        def ours() -> float:
            paths = resolve_paths(work / f"ours{next(counter)}")
            box = Outbox.open(paths)
            options = IntakeOptions(doc_type="3")
            real = intake.preflight
            intake.preflight = lambda path, target="provider": reports[path]  # type: ignore[assignment]
            try:
                started, cpu_started = time.perf_counter(), _cpu()
                results = queue_files(box, paths, [(f, options) for f in files])
                elapsed = time.perf_counter() - started
                cpu["ours"].append(_cpu() - cpu_started)
                assert all(not isinstance(r, Exception) for r in results)
            finally:
                intake.preflight = real  # type: ignore[assignment]
                box.close()
            assert box is not None
            shutil.rmtree(paths.data_dir)
            return elapsed

        def floor() -> float:
            dest = work / f"floor{next(counter)}"
            dest.mkdir()
            started, cpu_started = time.perf_counter(), _cpu()
            for f in files:
                target = dest / f.name
                shutil.copyfile(f, target)
                fd = os.open(target, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            fsync_dir(dest)
            elapsed = time.perf_counter() - started
            cpu["floor"].append(_cpu() - cpu_started)
            shutil.rmtree(dest)
            return elapsed

        ours_s, floor_s = interleaved([ours, floor], args.runs)
    o, f = median(ours_s), median(floor_s)
    # The warm-up's samples are dropped, as ``interleaved`` drops its times.
    ours_cpu, floor_cpu = (median(cpu[side][1:]) * 1000 / count for side in ("ours", "floor"))
    load = f"load average {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    row = ratio_row(
        f"queue (add), {count} PDFs 100 KB-10 MB ({total / 1e6:.0f} MB)",
        o,
        f,
        unit="s",
        limit=2.0,
        target="<= 2x the floor's time",
        note=(
            f"ours {total / o / 1e6:.0f} MB/s into the store, floor {total / f / 1e6:.0f} MB/s; "
            f"CPU per document {ours_cpu:.1f} ms ours, {floor_cpu:.1f} ms floor; {load}"
        ),
    )
    return [row]


def _cpu() -> float:
    """CPU-seconds of this process and of its children it has waited for (the workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _scratch() -> str | None:
    """Same disk as the data dir would be on (the user's home), not a RAM-backed /tmp."""
    return os.environ.get("METERAI_BENCH_TMP") or None


if __name__ == "__main__":
    cli(run, __doc__)
