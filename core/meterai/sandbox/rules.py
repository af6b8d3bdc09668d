"""What the provider's signing adapter refuses, and how it rewrites old PDFs.

Each check answers with the provider's own error code, because the point of the
sandbox is that the client's error mapping is exercised against those codes.
The adapter reads uploads with iText, after the serial number is paid for; the
sandbox reads at least as strictly (if in doubt, stricter): any upload that one
of the readers we ship does not read cleanly, pyHanko resolving every object in
strict mode, is refused with the adapter's "PDF tidak dapat dibaca" (code 90).
The version rewrite reproduces a habit of the real adapter: a PDF below 1.6 that
is unsigned and unencrypted is re-saved as 1.7 before signing, so its original
bytes are no longer a prefix of the result.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

import pikepdf
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel, SuspiciousModification
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko.sign.validation.pdf_embedded import read_certification_data

from meterai.documents.readers import readers_agree

log = logging.getLogger(__name__)

MIN_VERSION = (1, 6)
_HEADER = re.compile(rb"%PDF-(\d)\.(\d)")


@dataclass(frozen=True)
class Rejection:
    code: str
    message: str


@dataclass(frozen=True)
class Prepared:
    """The bytes to sign and whether the adapter had to rewrite them."""

    data: bytes
    rewritten: bool
    page_count: int


def version_of(data: bytes, reader: PdfFileReader | None = None) -> tuple[int, int]:
    """The header version, raised by a catalog /Version where one is present."""
    match = _HEADER.search(data[:1024])
    version = (int(match.group(1)), int(match.group(2))) if match else (1, 0)
    if reader is not None:
        try:
            catalog_version = str(reader.root.get("/Version", "")).lstrip("/")
            major, minor = (int(x) for x in catalog_version.split("."))
            version = max(version, (major, minor))
        except (ValueError, KeyError):
            pass
    return version


def prepare(data: bytes) -> Prepared | Rejection:
    """Check ``data`` the way the signing adapter does; rewrite it when it would."""
    if not data.startswith(b"%PDF-") and b"%PDF-" not in data[:1024]:
        return Rejection("90", "File bukan PDF")
    complaints = readers_agree(data, thorough=True)
    if complaints:
        log.info("upload refused: %s", "; ".join(map(str, complaints)))
        return Rejection("90", f"PDF tidak dapat dibaca: {complaints[0]}")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=True)
        if reader.encrypted:
            return Rejection("82", "Dokumen terenkripsi; versi PDF tidak dapat dinaikkan")
        pages = int(reader.root["/Pages"]["/Count"])
        signed = _existing_signatures(reader)
    except (PdfReadError, KeyError, ValueError, TypeError) as exc:
        return Rejection("90", f"PDF tidak dapat dibaca: {exc}")
    if isinstance(signed, Rejection):
        return signed
    if version_of(data, reader) >= MIN_VERSION:
        return Prepared(data, rewritten=False, page_count=pages)
    if signed:
        return Rejection("82", "Dokumen bertanda tangan di bawah PDF 1.6 tidak dapat dinaikkan")
    return Prepared(_as_17(data), rewritten=True, page_count=pages)


def _existing_signatures(reader: PdfFileReader) -> bool | Rejection:
    """Integrity only: whom the applicant's certificate chains to is not the adapter's concern."""
    if read_certification_data(reader) is not None:
        return Rejection("83", "Dokumen tersertifikasi (DocMDP) tidak dapat dibubuhi meterai")
    sigs = reader.embedded_regular_signatures
    for sig in sigs:
        try:
            sig.compute_integrity_info()
            intact, valid = validate_sig_integrity(
                sig.signer_info, sig.signer_cert, "data", sig.compute_digest()
            )
        except (SigningError, ValueError, KeyError, TypeError) as exc:
            log.info("existing signature unreadable: %s", exc)
            return Rejection("81", "Tanda tangan yang ada tidak valid")
        if not (intact and valid):
            return Rejection("81", "Tanda tangan yang ada tidak valid")
        level = getattr(sig.diff_result, "modification_level", None)
        if isinstance(sig.diff_result, SuspiciousModification) or level == ModificationLevel.OTHER:
            return Rejection("80", "Dokumen telah diubah setelah ditandatangani")
    return bool(sigs)


def _as_17(data: bytes) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(out, min_version="1.7", fix_metadata_version=False)
    return out.getvalue()
