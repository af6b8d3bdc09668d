"""How long ``meterai add`` takes to queue 100 one-MB PDFs (issue 3 asks for the figure).

Two shapes, each into a fresh data dir, through the installed ``meterai`` script:
one invocation with all 100 files (a batch from a folder), and 100 invocations of
one file each (a kiosk or a script calling per document, paying start-up each time).
Every copy is fsynced, so the figure depends on the disk: say which one you ran on.

    .venv/bin/python bench/queue100.py [--count N] [--mb SIZE]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests.support.pdfs import make_pdf  # noqa: E402

METERAI = Path(sys.executable).with_name("meterai")


def _add(data_dir: Path, files: list[Path]) -> None:
    cmd = [str(METERAI), "--data-dir", str(data_dir), "--lang", "en", "add", "--type", "3"]
    done = subprocess.run([*cmd, *map(str, files)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"meterai add failed ({done.returncode}): {done.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--mb", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="meterai-bench-") as tmp:
        work = Path(tmp)
        sources = work / "sources"
        sources.mkdir()
        files = [
            make_pdf(sources / f"doc{i:03}.pdf", image_bytes=int(args.mb * 1_000_000))
            for i in range(args.count)
        ]
        total_mb = sum(f.stat().st_size for f in files) / 1e6
        print(f"{args.count} PDFs, {total_mb:.0f} MB in all, on {_filesystem(work)}")

        started = time.perf_counter()
        _add(work / "batch", files)
        batch = time.perf_counter() - started
        print(
            f"one `meterai add` with {args.count} files: {batch:.2f} s "
            f"({1000 * batch / args.count:.0f} ms per file)"
        )

        started = time.perf_counter()
        for f in files:
            _add(work / "single", [f])
        single = time.perf_counter() - started
        print(
            f"{args.count} `meterai add` calls of one file: {single:.2f} s "
            f"({1000 * single / args.count:.0f} ms per call)"
        )
        shutil.rmtree(work / "batch")


def _filesystem(path: Path) -> str:
    try:
        done = subprocess.run(
            ["df", "--output=fstype", str(path)], capture_output=True, text=True, check=True
        )
        return done.stdout.split()[-1]
    except (OSError, subprocess.CalledProcessError):
        return os.name


if __name__ == "__main__":
    main()
