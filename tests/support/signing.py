"""Real digital signatures for tests: a throw-away self-signed certificate and pyHanko.

An EC P-256 key keeps key generation in the milliseconds, and the certificate is made
once per process, so tests can sign as many PDFs as they like without slowing down.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from asn1crypto import keys, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm
from pyhanko_certvalidator.registry import SimpleCertificateStore


def self_signed(
    common_name: str, *, starts: dt.timedelta, ends: dt.timedelta
) -> tuple[ec.EllipticCurvePrivateKey, cx509.Certificate]:
    """A self-signed CA certificate valid from now + ``starts`` to now + ``ends``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(now + starts)
        .not_valid_after(now + ends)
        .add_extension(cx509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


@lru_cache(maxsize=1)
def test_signer() -> signers.SimpleSigner:
    """A signer with a fresh self-signed certificate (valid for a day either side of now)."""
    day = dt.timedelta(days=1)
    key, cert = self_signed("Meterai Desk test signer", starts=-day, ends=day)
    signing_cert = x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    signing_key = keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return signers.SimpleSigner(
        signing_cert=signing_cert,
        signing_key=signing_key,
        cert_registry=SimpleCertificateStore.from_certs([signing_cert]),
    )


def sign_pdf(src: Path, dest: Path, *, certify: bool = False) -> Path:
    """Sign ``src`` into ``dest`` as an incremental update; ``certify`` adds DocMDP."""
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1",
        certify=certify,
        docmdp_permissions=MDPPerm.NO_CHANGES if certify else MDPPerm.FILL_FORMS,
    )
    with src.open("rb") as inf, dest.open("wb") as outf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        signers.sign_pdf(writer, meta, signer=test_signer(), output=outf)
    return dest
