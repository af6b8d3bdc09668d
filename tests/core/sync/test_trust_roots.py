"""Trust roots before money, through the ``meterai`` script against the real sandbox over HTTPS."""

from __future__ import annotations

from pathlib import Path

import pytest

from meterai.sandbox import SandboxServer
from tests.support.cli import EXIT_FAILED, EXIT_OK, meterai, status_json
from tests.support.pdfs import make_pdf
from tests.support.sandbox import Admin


def test_a_peruri_profile_without_a_signing_ca_buys_nothing(
    provider: SandboxServer,
    admin: Admin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Escaped bug: a ``peruri`` profile with no CA bought and stamped, then called the
    result untrusted. Now ``sync`` refuses at start-up, naming the missing setting."""
    monkeypatch.setenv("METERAI_PASSWORD", "demo")
    data, home = tmp_path / "data", tmp_path / "home"
    run = [
        (
            "profile",
            "add",
            "kiosk",
            "--kind",
            "peruri",
            "--user",
            "demo",
            "--base-url",
            provider.base_url,
        ),
        ("profile", "set", "kiosk", "--tls-ca", provider.ca_file),
        ("profile", "use", "kiosk"),
        ("add", make_pdf(tmp_path / "surat.pdf"), "--type", "3"),
    ]
    for args in run:
        done = meterai("--data-dir", data, *args, home=home)
        assert done.code == EXIT_OK, done.err
    before = admin.account()

    english = meterai("--data-dir", data, "--lang", "en", "sync", "--once", home=home)

    assert english.code == EXIT_FAILED
    assert "--sign-ca" in english.err and "signature trust root" in english.err
    assert "nothing will be bought" in english.err
    after = admin.account()
    assert (after["spent"], after["files"], after["serials"]) == (
        before["spent"],
        before["files"],
        [],
    )
    assert [row["state"] for row in status_json(data, home)] == ["queued"]

    shown = meterai("--data-dir", data, "--lang", "en", "profile", "show", home=home)
    assert "signature trust: none" in shown.out

    # The fix the message names is enough: the same document is then stamped once.
    fixed = meterai(
        "--data-dir", data, "profile", "set", "kiosk", "--sign-ca", provider.ca_file, home=home
    )
    assert fixed.code == EXIT_OK and str(provider.ca_file) in fixed.out
    synced = meterai("--data-dir", data, "sync", "--once", home=home)
    assert synced.code == EXIT_OK, synced.err
    assert [row["state"] for row in status_json(data, home)] == ["done"]
    assert admin.account()["spent"] == before["spent"] + 1
