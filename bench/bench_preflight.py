"""Pre-flight per document (1 to 500 pages) vs the least a check that agrees with the provider does.

Ours is ``meterai.documents.preflight(path)`` (provider target). The floor opens
the same file with ``pypdf.PdfReader`` and reads every page's MediaBox, CropBox
and rotation, and opens it with pyHanko in strict mode (its cross-reference and
catalogue): the least any structural check must do once pre-flight has to agree
with the reader the signing side uses (issue 13). The note gives the ratio to
the pypdf walk alone, the floor before that. Both in-process, warm, interleaved;
the time per document is the median of the runs, each run checking the document
several times (so a 1-page document is not timed at timer resolution).

    .venv/bin/python bench/bench_preflight.py [--runs 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

from _common import Row, cli, interleaved, make_pdf, median, ratio_row
from meterai.documents import preflight

CASES = ((1, 40), (10, 20), (100, 5), (500, 2))
"""(pages, repetitions per timed run)."""


def pypdf_walk(path: Path) -> None:
    with path.open("rb") as fh:
        reader = PdfReader(fh)
        for page in reader.pages:
            _ = (page.mediabox, page.cropbox, page.rotation)


def floor_once(path: Path) -> None:
    pypdf_walk(path)
    with path.open("rb") as fh:
        _ = PdfFileReader(fh, strict=True).root


def run(args: argparse.Namespace) -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="meterai-bench-preflight-") as tmp:
        for pages, reps in CASES:
            pdf = make_pdf(Path(tmp) / f"p{pages}.pdf", pages=pages)
            assert preflight(pdf).ok

            def ours(pdf: Path = pdf, reps: int = reps) -> float:
                started = time.perf_counter()
                for _ in range(reps):
                    preflight(pdf)
                return (time.perf_counter() - started) / reps

            def floor(pdf: Path = pdf, reps: int = reps) -> float:
                started = time.perf_counter()
                for _ in range(reps):
                    floor_once(pdf)
                return (time.perf_counter() - started) / reps

            def walk(pdf: Path = pdf, reps: int = reps) -> float:
                started = time.perf_counter()
                for _ in range(reps):
                    pypdf_walk(pdf)
                return (time.perf_counter() - started) / reps

            ours_s, floor_s, walk_s = interleaved([ours, floor, walk], args.runs)
            rows.append(
                ratio_row(
                    f"pre-flight, {pages} page{'s' if pages > 1 else ''}",
                    median(ours_s) * 1e3,
                    median(floor_s) * 1e3,
                    unit="ms",
                    limit=1.5,
                    target="<= 1.5x",
                    note=f"{median(ours_s) / median(walk_s):.2f}x the pypdf walk alone",
                )
            )
    return rows


if __name__ == "__main__":
    cli(run, __doc__)
