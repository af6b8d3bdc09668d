"""Where the provider password comes from: the OS keyring first, never a plain file.

A headless kiosk often has no keyring backend at all (keyring then selects its
``fail`` backend, or a chainer with nothing to chain), so the password may
also come from ``METERAI_PASSWORD`` or, when a person is at a terminal, a
prompt. The sandbox profile's public test account has the password ``demo``,
so the embedded sandbox works with no set-up at all.

Where there is no keyring, the GUI keeps a password typed into the account dialog in
this process's memory for the session (:func:`keep_for_session`): the user is told,
and it is asked again at the next start, because it is never written to a file.
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping

import keyring
import keyring.backend
import keyring.core
import keyring.errors
from keyring.backends import chainer, fail

from meterai.errors import AuthFailed, ErrorKind, MeteraiError
from meterai.i18n import N_
from meterai.provider.redact import install
from meterai.settings import Profile

ENV_VAR = "METERAI_PASSWORD"
SANDBOX_USER = "demo"
SANDBOX_PASSWORD = "demo"

LOGGER = logging.getLogger("meterai.credentials")
install(LOGGER)

_SESSION: dict[tuple[str, str], str] = {}
_SESSION_LOCK = threading.Lock()
_PROMPTS = threading.Event()
_PROMPTS.set()


def no_prompts() -> None:
    """Never ask on the terminal in this process (the GUI's): a worker thread waiting on
    a prompt nobody sees would leave the window "connecting" forever."""
    _PROMPTS.clear()


class CredentialsMissing(AuthFailed):
    """Said at start-up like a refused login; a request that meets it waits and retries
    (a keyring locked now may be unlocked later, or the password set meanwhile)."""

    code = "credentials_missing"
    kind = ErrorKind.TRANSIENT
    template = N_(
        "No password is known for {user} on profile {profile}. Store it in the system "
        "keyring, or set METERAI_PASSWORD."
    )


class KeyringUnavailable(MeteraiError):
    code = "keyring_unavailable"
    template = N_(
        "No system keyring is available here, so the password cannot be saved. "
        "Set METERAI_PASSWORD or type the password when asked."
    )


def service_name(profile_name: str) -> str:
    return f"meterai-desk:{profile_name}"


def _backend_usable(backend: keyring.backend.KeyringBackend) -> bool:
    if isinstance(backend, fail.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return bool(chainer.ChainerBackend.backends)
    if type(backend).__module__.startswith(_PLAIN_FILE_BACKENDS):
        return _named_by_the_user(backend)
    return True


_PLAIN_FILE_BACKENDS = ("keyrings.alt",)
"""Backends that keep passwords in a file of their own, not in the OS's store. Installed
(as a test dependency, or bundled by mistake) where no OS store exists, keyring picks
one of them by priority; a password must then not go there unless the user said so."""


def _named_by_the_user(backend: keyring.backend.KeyringBackend) -> bool:
    """Chosen in ``PYTHON_KEYRING_BACKEND`` or keyring's own configuration file."""
    cls = type(backend)
    if os.environ.get("PYTHON_KEYRING_BACKEND", "").strip() == f"{cls.__module__}.{cls.__name__}":
        return True
    try:
        configured = keyring.core.load_config()
    except (OSError, ValueError, ImportError):
        return False
    return type(configured) is cls


def keyring_usable() -> bool:
    """Whether a real keyring backend is configured (not whether it is unlocked)."""
    try:
        return _backend_usable(keyring.get_keyring())
    except keyring.errors.KeyringError:
        return False


def user_for(profile: Profile) -> str:
    if profile.user:
        return profile.user
    if profile.kind == "sandbox":
        return SANDBOX_USER
    raise CredentialsMissing(user="?", profile=profile.name)


def _from_keyring(profile: Profile, user: str) -> str | None:
    if not keyring_usable():
        return None
    try:
        return keyring.get_password(service_name(profile.name), user)
    except keyring.errors.KeyringError as exc:
        LOGGER.warning("keyring lookup failed for profile %s: %s", profile.name, exc)
        return None


def keep_for_session(profile: Profile, password: str) -> None:
    """Remember ``password`` in memory until the process ends (no keyring here)."""
    with _SESSION_LOCK:
        _SESSION[(service_name(profile.name), user_for(profile))] = password


def _from_session(profile: Profile, user: str) -> str | None:
    with _SESSION_LOCK:
        return _SESSION.get((service_name(profile.name), user))


def forget_session_passwords() -> None:
    with _SESSION_LOCK:
        _SESSION.clear()


def has_password(profile: Profile) -> bool:
    """Whether the keyring or this session already holds a password for ``profile``."""
    try:
        user = user_for(profile)
    except CredentialsMissing:
        return False
    return bool(_from_keyring(profile, user) or _from_session(profile, user))


def get_password(
    profile: Profile,
    *,
    environ: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
    interactive: bool | None = None,
) -> str:
    """Keyring, this session's, ``METERAI_PASSWORD``, the sandbox default, a TTY prompt.

    The environment variable is also honoured when a keyring exists but holds
    no entry, so a kiosk script can provide the password either way.
    """
    user = user_for(profile)
    found = _from_keyring(profile, user) or _from_session(profile, user)
    if found:
        return found
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR):
        return env[ENV_VAR]
    if profile.kind == "sandbox":
        return SANDBOX_PASSWORD
    if interactive is None:
        interactive = _PROMPTS.is_set() and sys.stdin is not None and sys.stdin.isatty()
    if interactive:
        ask = prompt or getpass.getpass
        answer = ask(f"Password for {user} ({profile.name}): ")
        if answer:
            return answer
    raise CredentialsMissing(user=user, profile=profile.name)


def password_known(profile: Profile, *, environ: Mapping[str, str] | None = None) -> bool:
    """Whether a runner would find the password without asking anyone."""
    try:
        get_password(profile, environ=environ, interactive=False)
    except CredentialsMissing:
        return False
    return True


def credentials_for(
    profile: Profile,
    *,
    environ: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
    interactive: bool | None = None,
) -> Callable[[], tuple[str, str]]:
    """A callable for ``ProviderClient(credentials=...)``: looked up at login time, not kept."""

    def lookup() -> tuple[str, str]:
        password = get_password(profile, environ=environ, prompt=prompt, interactive=interactive)
        return user_for(profile), password

    return lookup


def store_password(profile: Profile, password: str) -> None:
    if not keyring_usable():
        raise KeyringUnavailable()
    try:
        keyring.set_password(service_name(profile.name), user_for(profile), password)
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable() from exc


def delete_password(profile: Profile) -> None:
    if not keyring_usable():
        return
    try:
        keyring.delete_password(service_name(profile.name), user_for(profile))
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable() from exc
