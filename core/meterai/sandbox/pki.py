"""The sandbox's own test CA, its TLS certificate and its signing certificate.

Generated once, on first start, and kept under the sandbox data dir so that a
client which trusted the CA yesterday still trusts today's stamps. The app's
sandbox profile trusts only this CA, so nothing here can be mistaken for a real
e-Meterai. Keys are stored unencrypted (mode 0600): this is a test service.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from meterai.fsutil import atomic_write_bytes

_ORG = "Meterai Desk Sandbox (TEST ONLY)"


@dataclass(frozen=True)
class Material:
    """Paths of the PEM files; ``ca_file`` is what clients and validators trust."""

    ca_file: Path
    ca_key: Path
    tls_cert: Path
    tls_key: Path
    signer_cert: Path
    signer_key: Path


def material_in(folder: Path) -> Material:
    return Material(
        ca_file=folder / "ca.pem",
        ca_key=folder / "ca.key",
        tls_cert=folder / "tls.pem",
        tls_key=folder / "tls.key",
        signer_cert=folder / "signer.pem",
        signer_key=folder / "signer.key",
    )


def ensure(folder: Path) -> Material:
    """Create whatever is missing; an existing CA is never replaced."""
    m = material_in(folder)
    if not (m.ca_file.exists() and m.ca_key.exists()):
        key = _new_key()
        cert = _ca_cert(key)
        _write_key(m.ca_key, key)
        atomic_write_bytes(m.ca_file, cert.public_bytes(serialization.Encoding.PEM))
        for leaf in (m.tls_cert, m.signer_cert):
            leaf.unlink(missing_ok=True)
    ca_key = serialization.load_pem_private_key(m.ca_key.read_bytes(), password=None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    ca_cert = x509.load_pem_x509_certificate(m.ca_file.read_bytes())
    if not m.tls_cert.exists() or not m.tls_key.exists():
        _issue(m.tls_cert, m.tls_key, ca_cert, ca_key, tls=True)
    if not m.signer_cert.exists() or not m.signer_key.exists():
        _issue(m.signer_cert, m.signer_key, ca_cert, ca_key, tls=False)
    return m


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    atomic_write_bytes(path, pem, mode=0o600)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORG),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _validity(builder: x509.CertificateBuilder, years: int) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return builder.not_valid_before(now - dt.timedelta(days=1)).not_valid_after(
        now + dt.timedelta(days=365 * years)
    )


def _ca_cert(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = _name("Meterai Desk Sandbox Test CA")
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return _validity(builder, 20).sign(key, hashes.SHA256())


def _issue(
    cert_path: Path,
    key_path: Path,
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    *,
    tls: bool,
) -> None:
    key = _new_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1" if tls else "Sandbox e-Meterai Signer"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=not tls,
                key_encipherment=tls,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    if tls:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    cert = _validity(builder, 10).sign(ca_key, hashes.SHA256())
    _write_key(key_path, key)
    atomic_write_bytes(cert_path, cert.public_bytes(serialization.Encoding.PEM))
