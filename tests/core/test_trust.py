"""A profile's trust roots are checked before anything is bought; old profile files still load."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from meterai.sandbox import pki
from meterai.settings import Profile, Settings, load_settings, resolve_paths, save_settings
from meterai.trust import (
    TlsRootUnusable,
    TrustRootMissing,
    TrustRootUnusable,
    check_tls_root,
    signature_roots,
)
from tests.support.signing import self_signed


@pytest.fixture(scope="module")
def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> tuple[pki.Material, pki.Material]:
    """Two sandboxes' CAs: each one trusts its own signer and not the other's."""
    folder = tmp_path_factory.mktemp("pki")
    return pki.ensure(folder / "a"), pki.ensure(folder / "b")


def _peruri(*sign: Path, tls: Path | None = None) -> Profile:
    return Profile(
        name="kiosk",
        kind="peruri",
        base_urls={},
        tls_ca_file=str(tls) if tls else None,
        sign_ca_files=tuple(str(p) for p in sign),
    )


def test_no_signing_ca_is_refused_naming_the_setting() -> None:
    with pytest.raises(TrustRootMissing) as info:
        signature_roots(_peruri())
    assert "--sign-ca" in str(info.value) and "kiosk" in str(info.value)
    assert info.value.code == "trust_root_missing"
    assert "nothing will be bought" in str(info.value)


def test_the_sandbox_ca_verifies_its_own_signer_and_only_that(
    sandboxes: tuple[pki.Material, pki.Material],
) -> None:
    a, b = sandboxes
    assert len(signature_roots(_peruri(a.ca_file), a.signer_cert)) == 1
    with pytest.raises(TrustRootUnusable, match="did not issue"):
        signature_roots(_peruri(b.ca_file), a.signer_cert)
    both = signature_roots(_peruri(b.ca_file, a.ca_file), a.signer_cert)
    assert len(both) == 2


def _expired_ca(path: Path) -> Path:
    _key, cert = self_signed("Old CA", starts=-dt.timedelta(days=800), ends=-dt.timedelta(days=400))
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp, m: tmp / "missing.pem", "does not exist"),
        (lambda tmp, m: _write(tmp / "junk.pem", b"-----BEGIN CERTIFICATE-----\nxx"), "holds no"),
        (lambda tmp, m: _write(tmp / "junk.der", b"\x00" * 40), "holds no certificate"),
        (lambda tmp, m: m.signer_cert, "no certificate in it is a certificate authority"),
        (lambda tmp, m: _expired_ca(tmp / "old.pem"), "expired on"),
    ],
)
def test_a_signing_ca_file_that_cannot_serve_is_refused_with_why(
    sandboxes: tuple[pki.Material, pki.Material], tmp_path: Path, make, reason: str
) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path, sandboxes[0])
    with pytest.raises(TrustRootUnusable) as info:
        signature_roots(_peruri(path))
    assert reason in str(info.value) and str(path) in str(info.value)
    assert reason not in info.value.user_message(), "the reason is translated too"
    assert str(path) in info.value.user_message()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_an_extra_tls_ca_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    check_tls_root(_peruri())
    with pytest.raises(TlsRootUnusable, match="--tls-ca"):
        check_tls_root(_peruri(tls=tmp_path / "missing.pem"))


def test_an_old_profile_file_keeps_its_one_ca_for_both_trusts(tmp_path: Path) -> None:
    """Settings written before the split hold ``ca_file``: it meant TLS and signatures."""
    paths = resolve_paths(tmp_path)
    paths.settings_file.write_text(
        json.dumps(
            {
                "active_profile": "lab",
                "profiles": {
                    "lab": {
                        "kind": "sandbox",
                        "base_urls": {"stampv2": "https://127.0.0.1:9"},
                        "ca_file": "/etc/lab-ca.pem",
                        "user": "demo",
                    }
                },
            }
        )
    )
    profile = load_settings(paths).profile
    assert profile.tls_ca_file == "/etc/lab-ca.pem"
    assert profile.sign_ca_files == ("/etc/lab-ca.pem",)


def test_the_two_trusts_are_saved_apart(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path)
    settings = Settings()
    settings.profiles["kiosk"] = Profile(
        name="kiosk",
        kind="peruri",
        tls_ca_file=None,
        sign_ca_files=("/etc/peruri-root.pem", "/etc/peruri-sub.pem"),
    )
    save_settings(paths, settings)
    stored = json.loads(paths.settings_file.read_text())["profiles"]["kiosk"]
    assert "ca_file" not in stored
    loaded = load_settings(paths).profiles["kiosk"]
    assert loaded.tls_ca_file is None
    assert loaded.sign_ca_files == ("/etc/peruri-root.pem", "/etc/peruri-sub.pem")
