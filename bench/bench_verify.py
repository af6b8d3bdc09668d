"""Verify one stamped 10-page PDF: ``verify_stamped`` vs pyHanko's validation alone.

The PDF is stamped once by the sandbox (in-process here; it is not timed). Ours is
``meterai.verify.verify_stamped`` with every expectation set (original prefix,
page, rectangle, serial number); the floor is what it cannot avoid: pyHanko
reading the file and ``validate_pdf_signature`` on its signature with the same
trust roots. Warm, in-process, interleaved.

    .venv/bin/python bench/bench_verify.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

import _common  # noqa: F401  (sys.path)
from _common import DEFAULT_BOX, Row, api_client, cli, interleaved, make_pdf, median, ratio_row
from meterai.sandbox import SandboxServer
from meterai.verify import Expectation, load_trust_roots, verify_stamped

REPS = 10


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
        stamped = work / "stamped.pdf"
        stamped.write_bytes(data)
        expect = Expectation(original=original, page_index=9, rect=DEFAULT_BOX, serial_number=sn)
        assert verify_stamped(stamped, roots, expect).ok

        def ours() -> float:
            started = time.perf_counter()
            for _ in range(REPS):
                verify_stamped(stamped, roots, expect)
            return (time.perf_counter() - started) / REPS

        def floor() -> float:
            started = time.perf_counter()
            for _ in range(REPS):
                pyhanko_alone(stamped, roots)
            return (time.perf_counter() - started) / REPS

        ours_s, floor_s = interleaved([ours, floor], args.runs)
    return [
        ratio_row(
            "verify, stamped 10-page PDF",
            median(ours_s) * 1e3,
            median(floor_s) * 1e3,
            unit="ms",
            limit=1.1,
            target="<= 1.1x",
        )
    ]


if __name__ == "__main__":
    cli(run, __doc__)
