"""Independent checks of a stamped PDF: pyHanko against the sandbox CA, and poppler's pdfsig."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


@dataclass(frozen=True)
class Stamp:
    intact: bool
    trusted: bool
    bottom_line: bool
    reason: str
    field_name: str
    page_index: int
    rect: tuple[float, float, float, float]
    version: str


def check_with_pyhanko(data: bytes, ca_file: Path) -> Stamp:
    reader = PdfFileReader(io.BytesIO(data))
    (sig,) = reader.embedded_signatures
    context = ValidationContext(
        trust_roots=[load_cert_from_pemder(str(ca_file))], allow_fetching=False
    )
    status = validate_pdf_signature(sig, context)
    page_ref = sig.sig_field.raw_get("/P")
    page_index = -1
    for i in range(int(reader.root["/Pages"]["/Count"])):
        ref, _ = reader.find_page_for_modification(i)
        if ref.idnum == page_ref.idnum:
            page_index = i
    rect = tuple(float(x) for x in sig.sig_field["/Rect"])
    return Stamp(
        intact=status.intact,
        trusted=status.trusted,
        bottom_line=status.bottom_line,
        reason=str(sig.sig_object["/Reason"]),
        field_name=str(sig.field_name),
        page_index=page_index,
        rect=(rect[0], rect[1], rect[2], rect[3]),
        version=data[5:8].decode(),
    )


def pdfsig_available() -> bool:
    return shutil.which("pdfsig") is not None and shutil.which("certutil") is not None


def check_with_pdfsig(pdf: Path, ca_file: Path) -> str:
    """pdfsig's report with an NSS database that trusts only the sandbox CA."""
    with tempfile.TemporaryDirectory() as nss:
        db = f"sql:{nss}"
        subprocess.run(["certutil", "-N", "-d", db, "--empty-password"], check=True)
        subprocess.run(
            ["certutil", "-A", "-d", db, "-n", "sandbox-ca", "-t", "CT,C,C", "-i", str(ca_file)],
            check=True,
        )
        done = subprocess.run(
            ["pdfsig", "-nssdir", db, str(pdf)], capture_output=True, text=True, check=False
        )
    return done.stdout + done.stderr
