"""The account dialog's choices, Qt-free: presets, problems, saving, the session password."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import keyring
import pytest

from meterai.account import (
    AccountChoice,
    PasswordKept,
    Provider,
    choice_problems,
    editable_profile,
    first_start,
    held_by_the_provider,
    profile_from,
    provider_of,
    save_account,
    switches_provider,
)
from meterai.credentials import (
    CredentialsMissing,
    forget_session_passwords,
    get_password,
    keyring_usable,
    password_known,
)
from meterai.intake import IntakeOptions, queue_file
from meterai.outbox import Outbox, State
from meterai.settings import PERURI_STAGING, SERVICES, Paths, Settings, load_settings
from tests.support.account import ALT_BACKEND, file_keyring, files_holding
from tests.support.keyring import MemoryKeyring, memory_keyring, no_keyring
from tests.support.pdfs import make_pdf

__all__ = ["memory_keyring", "no_keyring"]  # fixtures, used by name

URL = "https://stamp.example:8443"
OPTIONS = IntakeOptions(doc_type="3")


def custom(**changes: object) -> AccountChoice:
    values: dict[str, object] = {
        "provider": Provider.CUSTOM,
        "user": "pemungut",
        "custom_urls": {s: URL + "/" for s in SERVICES},
        "sign_ca_files": ("ca.pem",),
    }
    values.update(changes)
    return AccountChoice(**values)  # type: ignore[arg-type]


def test_the_provider_of_a_profile_is_read_back_from_its_addresses() -> None:
    settings = Settings()
    assert provider_of(settings.profile) is Provider.DEMO
    assert provider_of(settings.profiles["peruri"]) is Provider.PRODUCTION
    staging = profile_from(AccountChoice(Provider.STAGING, user="u"))
    assert staging.base_urls == PERURI_STAGING and provider_of(staging) is Provider.STAGING
    assert provider_of(profile_from(custom())) is Provider.CUSTOM
    assert editable_profile(settings).name == "peruri", "the demo is not what one edits"


def test_a_choice_becomes_a_profile_with_absolute_trust_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    profile = profile_from(custom(tls_ca_file=" tls.pem ", sign_ca_files=("ca.pem", " ")))
    assert profile.base_urls == {s: URL for s in SERVICES}
    assert profile.tls_ca_file == str(tmp_path / "tls.pem")
    assert profile.sign_ca_files == (str(tmp_path / "ca.pem"),)
    assert (profile.kind, profile.user) == ("peruri", "pemungut")
    assert profile_from(AccountChoice(Provider.DEMO)).embedded


def test_every_problem_is_named_at_once() -> None:
    urls = {"backendservice": "http://plain.example", "stampv2": URL, "fileupload": "https://"}
    found = choice_problems(custom(user=" ", custom_urls=urls))
    assert [p.field for p in found] == ["user", "backendservice", "fileupload", "stampservice"]
    assert found[1].message.english() == (
        "Enter the address of backendservice, starting with https://."
    )
    assert choice_problems(custom(sign_ca_files=())) == (), "no signing CA: saved, not bought"
    assert choice_problems(AccountChoice(Provider.DEMO)) == ()


def test_save_puts_the_password_in_the_keyring_and_the_profile_in_settings(
    paths: Paths, memory_keyring: MemoryKeyring
) -> None:
    assert first_start(paths)
    settings = Settings()
    profile = profile_from(custom())
    assert save_account(paths, settings, profile, "rahasia") is PasswordKept.KEYRING
    assert memory_keyring.store == {("meterai-desk:peruri", "pemungut"): "rahasia"}
    assert load_settings(paths).profile == profile
    assert "rahasia" not in paths.settings_file.read_text()
    assert not first_start(paths)
    assert save_account(paths, settings, profile, "") is PasswordKept.UNCHANGED
    assert memory_keyring.store[("meterai-desk:peruri", "pemungut")] == "rahasia"


def test_without_a_keyring_the_password_lives_in_this_process_only(
    paths: Paths, no_keyring: None
) -> None:
    profile = profile_from(custom())
    with pytest.raises(CredentialsMissing):
        get_password(profile, environ={}, interactive=False)
    assert not password_known(profile, environ={})
    assert save_account(paths, Settings(), profile, "rahasia") is PasswordKept.SESSION
    assert get_password(profile, environ={}, interactive=False) == "rahasia"
    assert password_known(profile, environ={})
    assert not any(b"rahasia" in p.read_bytes() for p in paths.data_dir.rglob("*") if p.is_file())
    forget_session_passwords()
    with pytest.raises(CredentialsMissing):
        get_password(profile, environ={}, interactive=False)


def test_the_demo_service_keeps_no_password(paths: Paths, memory_keyring: MemoryKeyring) -> None:
    demo = profile_from(AccountChoice(Provider.DEMO))
    assert save_account(paths, Settings(), demo, "typed earlier") is PasswordKept.UNCHANGED
    assert memory_keyring.store == {}
    assert load_settings(paths).profile.embedded


def test_a_switch_is_a_change_of_service_or_user() -> None:
    settings = Settings()
    production = profile_from(AccountChoice(Provider.PRODUCTION, user="pemungut"))
    assert switches_provider(settings.profile, production)
    assert not switches_provider(production, replace(production, tls_ca_file="/x.pem"))
    assert switches_provider(production, replace(production, user="kasir-2"))
    staging = profile_from(AccountChoice(Provider.STAGING, user="pemungut"))
    assert switches_provider(production, staging)


def test_requests_held_by_the_provider_are_counted(paths: Paths, tmp_path: Path) -> None:
    box = Outbox.open(paths)
    ids = [
        queue_file(box, paths, make_pdf(tmp_path / f"d{i}.pdf", pages=i + 1), OPTIONS).request.id
        for i in range(4)
    ]
    assert held_by_the_provider(box) == 0, "queued is not yet the provider's"
    box.transition(ids[0], State.UPLOADED, provider_file_id="f1")
    box.transition(ids[1], State.UPLOADED, provider_file_id="f2")
    box.transition(ids[1], State.NUMBERING, numbering_tag="t2")
    box.transition(ids[1], State.NUMBERED, sn="ABCDEFGHIJKLMNOPQRSTUV")
    box.transition(ids[1], State.NEEDS_ATTENTION, last_error="refused", detail="refused")
    box.transition(ids[2], State.NEEDS_ATTENTION, last_error="bad pdf", detail="bad pdf")
    assert held_by_the_provider(box) == 2, "uploaded, and an attention row holding an SN"
    box.close()


def test_a_plain_file_keyring_picked_by_priority_is_no_keyring(
    paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keyrings.alt (a test dependency, or bundled by mistake) is what keyring picks by
    priority where the OS has no store: the password must not land in its plain file
    unless the user named that backend."""
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    folder = tmp_path / "keyring"
    previous = keyring.get_keyring()
    keyring.set_keyring(file_keyring(folder))
    try:
        assert not keyring_usable()
        profile = profile_from(custom())
        assert save_account(paths, Settings(), profile, "rahasia") is PasswordKept.SESSION
        assert files_holding([tmp_path], "rahasia") == []
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", ALT_BACKEND)
        assert keyring_usable(), "named by the user: used"
    finally:
        keyring.set_keyring(previous)
        forget_session_passwords()
