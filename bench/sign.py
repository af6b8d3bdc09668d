"""How much the sandbox adds to pyHanko's own signing, and how stamping grows with the file.

For each document the sandbox's time is one ``docSigningZ`` call over HTTPS on
loopback (file already uploaded, SN already bought: the call a user waits on);
pyHanko's time is signing the same file with the same key and the same visible
stamp in-process, with no HTTP, no checks and no durable write. Medians of a few
runs. Target: ratio <= 1.3.

    .venv/bin/python bench/sign.py [--reps N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "core")]

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402
from tests.support.api_client import DEFAULT_BOX, ApiClient  # noqa: E402
from tests.support.pdfs import make_pdf  # noqa: E402

from meterai.sandbox import SandboxServer  # noqa: E402
from meterai.sandbox.signer import stamp_style  # noqa: E402

CASES = (
    ("1 page", {"pages": 1}),
    ("10 pages", {"pages": 10}),
    ("100 pages", {"pages": 100}),
    ("1 MB", {"pages": 1, "image_bytes": 1_000_000}),
    ("10 MB", {"pages": 1, "image_bytes": 10_000_000}),
)


def pyhanko_once(signer: signers.SimpleSigner, data: bytes, sn: str) -> float:
    started = time.perf_counter()
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=f"eMeterai-{sn}", reason=f"[{sn}] bench", md_algorithm="sha256"
    )
    spec = fields.SigFieldSpec(sig_field_name=f"eMeterai-{sn}", on_page=0, box=DEFAULT_BOX)  # type: ignore[arg-type]
    out = io.BytesIO()
    signers.PdfSigner(
        meta, signer=signer, stamp_style=stamp_style(sn), new_field_spec=spec
    ).sign_pdf(writer, output=out)
    return time.perf_counter() - started


def sandbox_once(api: ApiClient, idfile: str) -> float:
    sn = api.buy(idfile).json()["result"]["sn"]
    started = time.perf_counter()
    body = api.stamp(idfile, sn).json()
    elapsed = time.perf_counter() - started
    assert body["status"] == "True", body
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(Path(tmp) / "sb") as server:
        signer = signers.SimpleSigner.load(
            str(server.material.signer_key),
            str(server.material.signer_cert),
            ca_chain_files=(str(server.material.ca_file),),
        )
        assert signer is not None
        api = ApiClient(server, timeout=120)
        api.login()
        print(f"{'document':<10} {'size':>9} {'pyHanko ms':>11} {'sandbox ms':>11} {'ratio':>6}")
        for label, kwargs in CASES:
            pdf = make_pdf(Path(tmp) / f"{label.replace(' ', '_')}.pdf", **kwargs)
            data = pdf.read_bytes()
            idfile = api.upload(data, pdf.name)["id"]
            reps = args.reps if len(data) < 5_000_000 else max(2, args.reps // 2)
            sandbox_once(api, idfile)  # warm-up: imports, caches
            pyhanko_once(signer, data, "WARMUP")
            base = statistics.median(pyhanko_once(signer, data, f"SN{i}") for i in range(reps))
            ours = statistics.median(sandbox_once(api, idfile) for _ in range(reps))
            print(
                f"{label:<10} {len(data) / 1e6:>7.2f}MB {base * 1e3:>11.1f} "
                f"{ours * 1e3:>11.1f} {ours / base:>6.2f}"
            )
        api.close()


if __name__ == "__main__":
    main()
