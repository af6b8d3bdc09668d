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

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
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


class ParsedKeySigner(signers.SimpleSigner):
    """pyHanko's ``SimpleSigner`` with the private key parsed once, not per signature.

    ``SimpleSigner.sign_raw`` re-parses the DER key on every call, and pyHanko signs
    twice per stamp (a dry run sizes the placeholder). OpenSSL 3 checks an RSA key
    when it is loaded, about 30 ms each time: that was two thirds of a stamp.
    """

    def __init__(self, simple: signers.SimpleSigner) -> None:
        super().__init__(
            signing_cert=simple.signing_cert,
            signing_key=simple.signing_key,
            cert_registry=simple.cert_registry,
        )
        key = serialization.load_der_private_key(simple.signing_key.dump(), password=None)
        self._rsa_key = key if isinstance(key, RSAPrivateKey) else None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if self._rsa_key is None or mechanism != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        digest: hashes.HashAlgorithm = getattr(hashes, digest_algorithm.upper())()
        return self._rsa_key.sign(data, PKCS1v15(), digest)


class StampSigner:
    """Holds the loaded key so each stamp only pays for the signing itself."""

    def __init__(self, material: Material) -> None:
        simple = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
            key_file=str(material.signer_key),
            cert_file=str(material.signer_cert),
            ca_chain_files=(str(material.ca_file),),
        )
        if simple is None:
            raise RuntimeError(f"cannot load the sandbox signing key from {material.signer_key}")
        self.signer = ParsedKeySigner(simple)

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
