"""Real signing with pyHanko: the stamp the sandbox puts on a document.

An incremental update with one visible signature field whose appearance is the
locally drawn specimen carrying the serial number's QR code, and the serial
number in the reason, the way the provider's adapter signs. The signer's key and
chain come from :mod:`meterai.sandbox.pki`, so the result validates against the
sandbox CA and nothing else.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.stamp import StaticStampStyle

from meterai.sandbox.pki import Material
from meterai.specimen import specimen_image

STAMP_PX = 300
FIELD_PREFIX = "eMeterai"


@dataclass(frozen=True)
class Placement:
    """Where the stamp goes: a 0-based page index and a PDF user-space rectangle."""

    page_index: int
    box: tuple[float, float, float, float]


def stamp_style(sn: str) -> StaticStampStyle:
    """The appearance: the specimen with the SN's QR, scaled into the rectangle."""
    image = PdfImage(specimen_image(STAMP_PX, sn))
    return StaticStampStyle(
        background=image,
        border_width=0,
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(0, 0, 0, 0),
            inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
        ),
    )


class StampSigner:
    """Holds the loaded key so each stamp only pays for the signing itself."""

    def __init__(self, material: Material) -> None:
        signer = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
            key_file=str(material.signer_key),
            cert_file=str(material.signer_cert),
            ca_chain_files=(str(material.ca_file),),
        )
        if signer is None:
            raise RuntimeError(f"cannot load the sandbox signing key from {material.signer_key}")
        self.signer = signer

    def sign(self, data: bytes, sn: str, placement: Placement, reason: str, location: str) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        field_name = f"{FIELD_PREFIX}-{sn}"
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            reason=f"[{sn}] {reason}",
            location=location or None,
            md_algorithm="sha256",
        )
        spec = fields.SigFieldSpec(
            sig_field_name=field_name,
            on_page=placement.page_index,
            box=placement.box,  # type: ignore[arg-type]
        )
        pdf_signer = signers.PdfSigner(
            meta, signer=self.signer, stamp_style=stamp_style(sn), new_field_spec=spec
        )
        out = io.BytesIO()
        pdf_signer.sign_pdf(writer, output=out)
        return out.getvalue()


def sign_file(material: Material, src: Path, sn: str, placement: Placement) -> bytes:
    """One-shot signing for scripts and the bench."""
    return StampSigner(material).sign(src.read_bytes(), sn, placement, "e-Meterai", "")
