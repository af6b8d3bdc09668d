"""The sandbox's own CA: made once, kept across restarts, issuing TLS and signing leaves."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import ExtendedKeyUsageOID

from meterai.sandbox.pki import ensure


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _issued_by(leaf: x509.Certificate, ca: x509.Certificate) -> bool:
    public = ca.public_key()
    public.verify(  # type: ignore[union-attr, call-arg]
        leaf.signature,
        leaf.tbs_certificate_bytes,
        padding.PKCS1v15(),  # type: ignore[arg-type]
        leaf.signature_hash_algorithm,  # type: ignore[arg-type]
    )
    return leaf.issuer == ca.subject


def test_both_leaves_chain_to_the_ca_and_do_different_jobs(tmp_path: Path) -> None:
    material = ensure(tmp_path / "pki")
    ca, tls, signer = (
        _cert(p) for p in (material.ca_file, material.tls_cert, material.signer_cert)
    )
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert _issued_by(tls, ca) and _issued_by(signer, ca)
    names = tls.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    usage = tls.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in usage


def test_an_existing_ca_is_never_replaced_and_a_lost_leaf_is_reissued(tmp_path: Path) -> None:
    """Clients trust the CA file: replacing it would break every configured profile."""
    first = ensure(tmp_path / "pki")
    ca_before = first.ca_file.read_bytes()
    first.signer_cert.unlink()
    again = ensure(tmp_path / "pki")
    assert again.ca_file.read_bytes() == ca_before
    assert _issued_by(_cert(again.signer_cert), _cert(again.ca_file))
