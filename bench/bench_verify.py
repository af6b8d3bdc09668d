"""Verify one stamped 10-page PDF: ``verify_stamped`` vs pyHanko's validation alone.

The PDF is stamped once by the sandbox (in-process here; it is not timed). Ours is
``meterai.verify.verify_stamped`` with every expectation set (original prefix,
page, rectangle, serial number); the floor is what it cannot avoid: pyHanko
reading the file and ``validate_pdf_signature`` on its signature with the same
trust roots. Warm, in-process, interleaved.

The two sides differ by a few tenths of a millisecond in five, which a loaded
2-core machine's noise exceeds: one sample of each side is taken back to back, many
times, and the row's ratio is the median of the pairs' ratios, each pair timed in
CPU seconds of this process (``time.process_time``: time spent waiting for a core
while the other engineers' work runs is not counted). The note gives the spread
(quartiles of the pairs' ratios) and the wall-clock medians, with the load average.
With ``METERAI_BENCH_CALLGRIND=1`` (and valgrind installed) the note also gives each
side's instructions per verification, counted by callgrind (``_verify_child.py``):
a figure the load does not move, for comparing before and after (about 2 minutes).

    .venv/bin/python bench/bench_verify.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

import _common  # noqa: F401  (sys.path)
from _common import DEFAULT_BOX, Row, api_client, cli, interleaved, make_pdf, median, ratio_row
from meterai.sandbox import SandboxServer
from meterai.verify import Expectation, load_trust_roots, verify_stamped

REPS = 10
PAIRS_PER_RUN = 8
"""Pairs per ``--runs``: the default 5 gives 40 pairs of 10 verifications a side (4 s)."""


def pyhanko_alone(path: Path, roots: list[object]) -> None:
    reader = PdfFileReader(io.BytesIO(path.read_bytes()), strict=False)
    sig = reader.embedded_signatures[0]
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=roots, allow_fetching=False))
    assert status.intact and status.valid and status.trusted


def run(args: argparse.Namespace) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="meterai-bench-verify-") as tmp:
        work = Path(tmp)
        original = make_pdf(work / "ten.pdf", pages=10)
        with SandboxServer(work / "sandbox") as server:
            api = api_client(server, timeout=60)
            api.login()
            sn, data = api.full_stamp(original, page=10)
            api.close()
            roots = load_trust_roots([server.ca_file])
            ca = work / "ca.pem"
            shutil.copyfile(server.ca_file, ca)
        stamped = work / "stamped.pdf"
        stamped.write_bytes(data)
        expect = Expectation(original=original, page_index=9, rect=DEFAULT_BOX, serial_number=sn)
        assert verify_stamped(stamped, roots, expect).ok
        counted = _instructions(stamped, original, ca, sn)

        def timed(check: Callable[[], object]) -> Callable[[], tuple[float, float]]:
            def sample() -> tuple[float, float]:
                wall, cpu = time.perf_counter(), time.process_time()
                for _ in range(REPS):
                    check()
                return (time.perf_counter() - wall) / REPS, (time.process_time() - cpu) / REPS

            return sample

        load_before = os.getloadavg()[0]
        ours_s, floor_s = interleaved(
            [
                timed(lambda: verify_stamped(stamped, roots, expect)),
                timed(lambda: pyhanko_alone(stamped, roots)),
            ],
            args.runs * PAIRS_PER_RUN,
        )
    return [paired_row(ours_s, floor_s, load_before, counted)]


CALLGRIND_COUNT = 20
_COLLECTED = re.compile(r"Collected : ([0-9]+)")


def _instructions(stamped: Path, original: Path, ca: Path, sn: str) -> str:
    """Each side's instructions per verification under callgrind, if asked for."""
    if not os.environ.get("METERAI_BENCH_CALLGRIND") or shutil.which("valgrind") is None:
        return ""
    child = Path(__file__).with_name("_verify_child.py")
    counts = {}
    for side in ("ours", "floor"):
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--collect-atstart=no",
                "--toggle-collect=functools_reduce",
                "--callgrind-out-file=/dev/null",
                sys.executable,
                str(child),
                side,
                str(CALLGRIND_COUNT),
                str(stamped),
                str(original),
                str(ca),
                sn,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        found = _COLLECTED.search(done.stderr)
        assert found is not None, done.stderr[-2000:]
        counts[side] = int(found[1]) / CALLGRIND_COUNT
    ratio = counts["ours"] / counts["floor"]
    return (
        f"; instructions per verification (callgrind): {counts['ours'] / 1e6:.2f}M vs "
        f"{counts['floor'] / 1e6:.2f}M ({ratio:.3f}x)"
    )


def paired_row(
    ours: list[Sample], floor: list[Sample], load_before: float, counted: str = ""
) -> Row:
    """The median of the pairs' CPU-time ratios, with their quartiles and the wall medians."""
    ratios = [o[1] / f[1] for o, f in zip(ours, floor, strict=True)]
    q1, ratio, q3 = statistics.quantiles(ratios, n=4)
    cpu_ours, cpu_floor = median([o[1] for o in ours]), median([f[1] for f in floor])
    wall_ours, wall_floor = median([o[0] for o in ours]), median([f[0] for f in floor])
    note = (
        f"CPU time per verification, median of {len(ratios)} interleaved pairs' ratios "
        f"(quartiles {q1:.2f}-{q3:.2f}x); wall clock {wall_ours * 1e3:.2f} vs "
        f"{wall_floor * 1e3:.2f} ms ({wall_ours / wall_floor:.2f}x); load average "
        f"{load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end{counted}"
    )
    row = ratio_row(
        "verify, stamped 10-page PDF",
        cpu_ours * 1e3,
        cpu_floor * 1e3,
        unit="ms",
        limit=1.1,
        target="<= 1.1x",
        note=note,
    )
    row.ratio, row.ratio_text, row.passed = ratio, f"{ratio:.2f}x", ratio <= 1.1
    return row


Sample = tuple[float, float]
"""Seconds per verification: wall clock, CPU time of this process."""


if __name__ == "__main__":
    cli(run, __doc__)
