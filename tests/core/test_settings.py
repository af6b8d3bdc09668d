"""The settings file: what is saved reads back, a bad file is refused in words, no secret
is ever written, and the data folder is chosen in one documented order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from meterai.errors import ConfigError
from meterai.settings import (
    PERURI_PRODUCTION,
    Paths,
    Profile,
    Settings,
    load_settings,
    resolve_paths,
    save_settings,
)


def _kiosk_profile() -> Profile:
    return Profile(
        name="loket",
        kind="peruri",
        base_urls=dict(PERURI_PRODUCTION),
        tls_ca_file="/etc/meterai/tls.pem",
        sign_ca_files=("/etc/meterai/sign-a.pem", "/etc/meterai/sign-b.pem"),
        user="kasir",
    )


def test_a_saved_file_reads_back_as_it_was(paths: Paths) -> None:
    settings = Settings(language="en", extra={"kiosk": {"inbox": "/srv/masuk"}})
    settings.profiles["loket"] = _kiosk_profile()
    settings.active_profile = "loket"
    save_settings(paths, settings)
    assert load_settings(paths) == settings


def test_no_file_means_the_defaults(paths: Paths) -> None:
    assert load_settings(paths) == Settings()


def test_a_file_from_before_the_two_trust_settings_keeps_working(paths: Paths) -> None:
    """One ``ca_file`` served TLS and signatures: it is read as both."""
    paths.settings_file.parent.mkdir(parents=True)
    old = {"kind": "peruri", "base_urls": PERURI_PRODUCTION, "ca_file": "/etc/ca.pem"}
    paths.settings_file.write_text(json.dumps({"active_profile": "p", "profiles": {"p": old}}))
    profile = load_settings(paths).profile
    assert (profile.tls_ca_file, profile.sign_ca_files) == ("/etc/ca.pem", ("/etc/ca.pem",))


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        '{"active_profile": "nowhere"}',
        '{"profiles": {"p": {"base_urls": {}}}}',
        '{"profiles": {"p": {"kind": "peruri", "sign_ca_files": "/one/file.pem"}}}',
        "[]",
    ],
)
def test_a_broken_file_is_refused_naming_it(paths: Paths, text: str) -> None:
    paths.settings_file.parent.mkdir(parents=True)
    paths.settings_file.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(paths)
    assert str(paths.settings_file) in str(caught.value)


@pytest.mark.parametrize("key", ["password", "Token", "secret"])
def test_credentials_are_never_written_to_the_plain_file(paths: Paths, key: str) -> None:
    settings = Settings(extra={"database": {"url": "postgresql://a@b/c", key: "rahasia"}})
    with pytest.raises(ValueError, match="credentials"):
        save_settings(paths, settings)
    assert not paths.settings_file.exists()


def test_the_data_folder_option_beats_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METERAI_HOME", str(tmp_path / "from-env"))
    assert resolve_paths(tmp_path / "from-option").data_dir == tmp_path / "from-option"
    env = resolve_paths()
    assert env.data_dir == env.config_dir == (tmp_path / "from-env").resolve()
    assert env.database.parent == env.data_dir and env.settings_file.parent == env.config_dir
