"""Where data lives, which provider profile is active, and how credentials are reached.

The data dir is the platform's (``system.user_dirs``) unless ``--data-dir`` or ``METERAI_HOME``
overrides it; with an override the settings file lives in that dir too, so a
kiosk or a test is fully contained in one folder. Profiles are a JSON file;
passwords are never written to it (they live in the OS keyring).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from meterai import system
from meterai.errors import ConfigError
from meterai.fsutil import atomic_write_bytes

ProfileKind = Literal["sandbox", "peruri"]
SERVICES = ("backendservice", "stampv2", "fileupload", "stampservice")

PERURI_PRODUCTION = {s: f"https://{s}.e-meterai.co.id" for s in SERVICES}
PERURI_STAGING = {s: f"https://{s}stg.e-meterai.co.id" for s in SERVICES}


@dataclass(frozen=True)
class Profile:
    """A provider connection: one base URL per service, and two separate kinds of trust.

    TLS trust is the system's roots plus ``tls_ca_file`` when set (a staging server or a
    sandbox with its own CA). Signature trust is ``sign_ca_files`` only: the provider's
    signing CA, which a stamp's signature must chain to; a real provider's TLS roots
    say nothing about it. The ``sandbox`` kind with no base URLs means "start the
    embedded sandbox", whose CA then serves as both.
    """

    name: str
    kind: ProfileKind
    base_urls: dict[str, str] = field(default_factory=dict)
    tls_ca_file: str | None = None
    sign_ca_files: tuple[str, ...] = ()
    user: str | None = None

    def base_url(self, service: str) -> str:
        return self.base_urls[service]

    @property
    def embedded(self) -> bool:
        return self.kind == "sandbox" and not self.base_urls


DEFAULT_PROFILES = {
    "sandbox": Profile(name="sandbox", kind="sandbox", user="demo"),
    "peruri": Profile(name="peruri", kind="peruri", base_urls=dict(PERURI_PRODUCTION)),
}


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    config_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "outbox.sqlite3"

    @property
    def docs_dir(self) -> Path:
        return self.data_dir / "docs"

    @property
    def stamped_dir(self) -> Path:
        return self.data_dir / "stamped"

    @property
    def sandbox_dir(self) -> Path:
        return self.data_dir / "sandbox"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def backups_dir(self) -> Path:
        """Rolling copies of the outbox, taken with SQLite's online backup API."""
        return self.data_dir / "backups"

    @property
    def install_id_file(self) -> Path:
        """This installation's id outside the database, so a rebuilt outbox keeps it."""
        return self.data_dir / "install-id"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"


def resolve_paths(data_dir: str | os.PathLike[str] | None = None) -> Paths:
    """``--data-dir`` beats ``METERAI_HOME`` beats the platform's user dirs."""
    chosen = data_dir or os.environ.get("METERAI_HOME")
    if chosen:
        root = Path(chosen).expanduser().resolve()
        return Paths(data_dir=root, config_dir=root)
    dirs = system.user_dirs()
    return Paths(data_dir=dirs.data, config_dir=dirs.config)


@dataclass
class Settings:
    """The mutable user settings, loaded from and saved to ``settings.json``."""

    active_profile: str = "sandbox"
    language: str | None = None
    profiles: dict[str, Profile] = field(default_factory=lambda: dict(DEFAULT_PROFILES))
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def profile(self) -> Profile:
        return self.profiles[self.active_profile]


_FORBIDDEN_KEYS = {"password", "token", "secret"}


def load_settings(paths: Paths) -> Settings:
    path = paths.settings_file
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text("utf-8"))
        profiles = dict(DEFAULT_PROFILES)
        for name, body in raw.get("profiles", {}).items():
            profiles[name] = Profile(
                name=name,
                kind=body["kind"],
                base_urls=dict(body.get("base_urls", {})),
                user=body.get("user"),
                **_trust_settings(body),
            )
        settings = Settings(
            active_profile=raw.get("active_profile", "sandbox"),
            language=raw.get("language"),
            profiles=profiles,
            extra=dict(raw.get("extra", {})),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(path=str(path), detail=str(exc)) from exc
    if settings.active_profile not in settings.profiles:
        raise ConfigError(path=str(path), detail=f"unknown profile {settings.active_profile!r}")
    return settings


def _trust_settings(body: dict[str, Any]) -> dict[str, Any]:
    """The two trust settings of a stored profile.

    Files written before they were separate hold one ``ca_file`` that served both TLS
    and signatures; it is read as exactly that, so an existing profile keeps working.
    """
    legacy = body.get("ca_file")
    signing = body.get("sign_ca_files")
    if signing is None:
        signing = [legacy] if legacy else []
    if isinstance(signing, str) or not all(isinstance(f, str) for f in signing):
        raise TypeError(f"sign_ca_files must be a list of file names, not {signing!r}")
    return {"tls_ca_file": body.get("tls_ca_file", legacy), "sign_ca_files": tuple(signing)}


def save_settings(paths: Paths, settings: Settings) -> None:
    body = {
        "active_profile": settings.active_profile,
        "language": settings.language,
        "profiles": {
            name: {k: v for k, v in asdict(p).items() if k != "name"}
            for name, p in settings.profiles.items()
        },
        "extra": settings.extra,
    }
    leaked = _FORBIDDEN_KEYS & _all_keys(body)
    if leaked:
        raise ValueError(f"refusing to write credentials to a plain file: {sorted(leaked)}")
    atomic_write_bytes(paths.settings_file, json.dumps(body, indent=2).encode("utf-8"))


def _all_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        keys = {str(k).lower() for k in value}
        for v in value.values():
            keys |= _all_keys(v)
        return keys
    return set()
