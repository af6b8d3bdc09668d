"""Trust roots before money (DESIGN section 8): a profile's two trusts, checked up front.

TLS trust decides whom the client talks to; signature trust decides which stamps are
real. They are separate settings of a profile (``tls_ca_file``, ``sign_ca_files``).
No stamp is bought unless the profile can verify what the provider will return, so
the sync runner calls :func:`signature_roots` at start-up, before it reconciles or
buys anything, and refuses to run without an answer.

Before any stamp exists there is no signature to try the roots on. What can be known
up front is checked: every file exists and holds certificates, one of them is a CA
(or a self-signed root) that has not expired, and, for the embedded sandbox whose
signing certificate is at hand, one of them issued that certificate. For a real
provider the chain is checked on the first stamp, by verification itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from meterai.errors import ConfigError
from meterai.i18n import N_
from meterai.messages import Message
from meterai.settings import Profile


class TrustError(ConfigError):
    """A trust setting that cannot serve; ``reason``, when given, is a ``Message``."""


class TrustRootMissing(TrustError):
    code = "trust_root_missing"
    template = N_(
        "Profile {profile} has no signature trust root (the provider's signing CA), so no "
        "stamp could be verified: nothing will be bought. Set it with: "
        "meterai profile set {profile} --sign-ca FILE"
    )


class TrustRootUnusable(TrustError):
    code = "trust_root_unusable"
    template = N_(
        "The signing CA file {path} of profile {profile} cannot be used: {reason}. Nothing "
        "will be bought. Set the provider's signing CA with: "
        "meterai profile set {profile} --sign-ca FILE"
    )


class TlsRootUnusable(TrustError):
    code = "tls_root_unusable"
    template = N_(
        "The extra TLS CA file {path} of profile {profile} cannot be used: {reason}. Set a "
        "good one with: meterai profile set {profile} --tls-ca FILE (or --tls-ca none for "
        "the system's roots only)"
    )


_UNREADABLE = N_("it does not exist or cannot be read")
_NO_CERTIFICATE = N_("it holds no certificate")
_NO_CA = N_("no certificate in it is a certificate authority")
_EXPIRED = N_("it expired on {date}")
_NOT_THE_ISSUER = N_("it did not issue the certificate the sandbox signs with")


def signature_roots(profile: Profile, signer: Path | None = None) -> list[Any]:
    """The profile's signature trust roots for pyHanko, or why there are none.

    ``signer`` is the certificate the provider signs with, when it is known locally
    (the embedded sandbox): the roots must have issued it.
    """
    from meterai.verify import load_trust_roots

    if not profile.sign_ca_files:
        raise TrustRootMissing(profile=profile.name)
    files = [Path(name) for name in profile.sign_ca_files]
    authorities: list[x509.Certificate] = []
    for path in files:
        certificates = _certificates(path, profile, TrustRootUnusable)
        authorities += _authorities(path, certificates, profile)
    if signer is not None:
        _check_issued(signer, authorities, files[0], profile)
    return load_trust_roots(files)


def check_tls_root(profile: Profile) -> None:
    """An extra TLS CA that is set must be usable; without one the system's roots serve."""
    if profile.tls_ca_file:
        _certificates(Path(profile.tls_ca_file), profile, TlsRootUnusable)


def _certificates(path: Path, profile: Profile, error: type[ConfigError]) -> list[x509.Certificate]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(path=str(path), profile=profile.name, reason=Message(_UNREADABLE)) from exc
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise error(path=str(path), profile=profile.name, reason=Message(_NO_CERTIFICATE)) from exc


def _authorities(
    path: Path, certificates: Sequence[x509.Certificate], profile: Profile
) -> list[x509.Certificate]:
    """The CAs among ``certificates`` that are valid today; refused when there is none."""
    authorities = [c for c in certificates if _is_authority(c)]
    if not authorities:
        raise TrustRootUnusable(path=str(path), profile=profile.name, reason=Message(_NO_CA))
    now = dt.datetime.now(dt.UTC)
    current = [c for c in authorities if c.not_valid_after_utc > now]
    if not current:
        ended = max(c.not_valid_after_utc for c in authorities).date().isoformat()
        raise TrustRootUnusable(
            path=str(path), profile=profile.name, reason=Message(_EXPIRED, {"date": ended})
        )
    return current


def _is_authority(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return certificate.issuer == certificate.subject  # an old (v1) self-signed root
    return constraints.value.ca


def _check_issued(
    signer: Path, authorities: Sequence[x509.Certificate], first: Path, profile: Profile
) -> None:
    leaf = x509.load_pem_x509_certificate(signer.read_bytes())
    for authority in authorities:
        try:
            leaf.verify_directly_issued_by(authority)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return
    raise TrustRootUnusable(path=str(first), profile=profile.name, reason=Message(_NOT_THE_ISSUER))
