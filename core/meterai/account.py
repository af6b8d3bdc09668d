"""Test a profile's account before anything is bought: trust roots, login, balance, types.

``meterai profile test NAME`` prints these checks and the GUI's *Test connection*
(Settings -> Account) shows the same list. They are verdicts as data: each check says
whether it passed and why, in the reader's language, and a failed login does not hide
a missing trust root. The login's answer is told apart from the network's: "the user
name or password was refused" is not "the service cannot be reached".

The account dialog's choices are checked and saved here too (Qt-free, so they are
tested without a window): which provider, the user name, the two trusts, and where
the password went (the keyring, or this session only when there is none).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from meterai.errors import AuthFailed, MeteraiError
from meterai.i18n import N_, _
from meterai.messages import Message
from meterai.settings import (
    PERURI_PRODUCTION,
    PERURI_STAGING,
    SERVICES,
    Paths,
    Profile,
    ProfileKind,
    Settings,
    save_settings,
)

if TYPE_CHECKING:
    from meterai.outbox.store import Outbox
    from meterai.provider import ProviderClient

Credentials = Callable[[], tuple[str, str]]


@dataclass(frozen=True)
class Check:
    name: str
    """An ``N_`` message id: translate it when shown."""
    ok: bool
    detail: str


@dataclass(frozen=True)
class AccountReport:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def check_account(paths: Paths, profile: Profile, credentials: Credentials) -> AccountReport:
    """Every check, in order; the provider is only called once the profile's URLs exist
    (the embedded sandbox is started for the test and stopped after it)."""
    from meterai.sync.connect import EmbeddedSandbox

    sandbox = EmbeddedSandbox(paths) if profile.embedded else None
    try:
        connected = sandbox.start(profile) if sandbox is not None else profile
        signer = sandbox.signer if sandbox is not None else None
        checks = [_signature_trust(connected, signer), _tls_trust(connected)]
        checks += _provider_checks(connected, credentials)
    finally:
        if sandbox is not None:
            sandbox.stop()
    return AccountReport(tuple(checks))


def _signature_trust(profile: Profile, signer: Path | None) -> Check:
    from meterai.trust import signature_roots

    name = N_("signature trust")
    try:
        signature_roots(profile, signer)
    except MeteraiError as exc:
        return Check(name, False, exc.user_message())
    return Check(name, True, ", ".join(profile.sign_ca_files))


def _tls_trust(profile: Profile) -> Check:
    from meterai.trust import check_tls_root

    name = N_("TLS trust")
    try:
        check_tls_root(profile)
    except MeteraiError as exc:
        return Check(name, False, exc.user_message())
    if profile.tls_ca_file:
        return Check(
            name, True, _("the system's roots and {file}").format(file=profile.tls_ca_file)
        )
    return Check(name, True, _("the system's roots"))


def _provider_checks(profile: Profile, credentials: Credentials) -> list[Check]:
    from meterai.provider import ProviderClient

    with ProviderClient.from_profile(profile, credentials=credentials) as client:
        try:
            client.session.token()
        except AuthFailed as exc:
            return [Check(N_("login"), False, exc.user_message())]
        except MeteraiError as exc:
            reached = _("the stamping service cannot be reached: {reason}")
            return [Check(N_("login"), False, reached.format(reason=exc.user_message()))]
        user = client.session.user
        who = user.first_name if user is not None and user.first_name else credentials()[0]
        checks = [Check(N_("login"), True, _("logged in as {user}").format(user=who))]
        checks.append(_balance(client))
        checks.append(_doc_types(client))
    return checks


def _balance(client: ProviderClient) -> Check:
    try:
        balance = client.balance()
    except MeteraiError as exc:
        return Check(N_("balance"), False, exc.user_message())
    return Check(
        N_("balance"),
        True,
        _("{saldo} stamps, {notstamp} bought and not yet used").format(
            saldo=balance.saldo, notstamp=balance.notstamp
        ),
    )


def _doc_types(client: ProviderClient) -> Check:
    try:
        types = client.doc_types()
    except MeteraiError as exc:
        return Check(N_("document types"), False, exc.user_message())
    listed = "; ".join(f"{t.kode} {t.nama}" for t in types)
    return Check(N_("document types"), bool(types), listed or _("the list is empty"))


# --- the account dialog's choices ----------------------------------------------------


class Provider(StrEnum):
    """Whom the app stamps with: the built-in demo service or a Peruri account."""

    DEMO = "demo"
    PRODUCTION = "production"
    STAGING = "staging"
    CUSTOM = "custom"


PRESET_URLS = {Provider.PRODUCTION: PERURI_PRODUCTION, Provider.STAGING: PERURI_STAGING}
ACCOUNT_PROFILE = "peruri"
"""The profile the dialog edits when the active one is the demo service."""


def provider_of(profile: Profile) -> Provider:
    if profile.embedded:
        return Provider.DEMO
    for provider, urls in PRESET_URLS.items():
        if profile.base_urls == urls:
            return provider
    return Provider.CUSTOM


def editable_profile(settings: Settings) -> Profile:
    """The account the dialog opens on: the active one, or the built-in ``peruri``
    profile while the demo service is active (so "connect my account" starts there)."""
    active = settings.profile
    return active if not active.embedded else settings.profiles[ACCOUNT_PROFILE]


@dataclass(frozen=True)
class AccountChoice:
    """What the account dialog gathered, before it is checked."""

    provider: Provider
    profile_name: str = ACCOUNT_PROFILE
    kind: ProfileKind = "peruri"
    user: str = ""
    custom_urls: dict[str, str] = field(default_factory=dict)
    tls_ca_file: str = ""
    sign_ca_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    field: str
    """``user``, ``tls_ca``, ``sign_ca`` or a service's name."""
    message: Message


def choice_problems(choice: AccountChoice) -> tuple[Problem, ...]:
    """What must be fixed before the choice can be tested or saved, every problem at once.

    A missing signing CA is not among them: the profile may be saved without one, and
    *Test connection* then says, as the sync does, that nothing will be bought."""
    if choice.provider is Provider.DEMO:
        return ()
    problems = []
    if not choice.user.strip():
        problems.append(Problem("user", Message(N_("Enter the account's user name."))))
    if choice.provider is Provider.CUSTOM:
        problems += [
            Problem(s, Message(N_("Enter the address of {service}, starting with https://."),
                               {"service": s}))
            for s in SERVICES
            if not _is_https(choice.custom_urls.get(s, ""))
        ]  # fmt: skip
    return tuple(problems)


def _is_https(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme == "https" and bool(parts.hostname)


def profile_from(choice: AccountChoice) -> Profile:
    """The profile the choice describes; the demo service is the built-in one."""
    if choice.provider is Provider.DEMO:
        from meterai.settings import DEFAULT_PROFILES

        return DEFAULT_PROFILES["sandbox"]
    if choice.provider is Provider.CUSTOM:
        urls = {s: choice.custom_urls[s].strip().rstrip("/") for s in SERVICES}
        kind = choice.kind
    else:
        urls, kind = dict(PRESET_URLS[choice.provider]), "peruri"
    tls = _absolute(choice.tls_ca_file)
    return Profile(
        name=choice.profile_name,
        kind=kind,
        base_urls=urls,
        tls_ca_file=tls or None,
        sign_ca_files=tuple(_absolute(f) for f in choice.sign_ca_files if f.strip()),
        user=choice.user.strip(),
    )


def _absolute(name: str) -> str:
    """As the CLI stores them, so the app finds the file whatever its working folder."""
    name = name.strip()
    return os.path.abspath(os.path.expanduser(name)) if name else ""


class PasswordKept(StrEnum):
    KEYRING = "keyring"
    SESSION = "session"
    UNCHANGED = "unchanged"


def save_account(paths: Paths, settings: Settings, profile: Profile, password: str) -> PasswordKept:
    """Make ``profile`` the active one and keep its password (when one was typed).

    The password goes to the OS keyring; where there is none (or it refuses), it is
    kept in memory for this session only, never written. The demo service has its own
    public test password and keeps none. ``settings`` is changed and
    saved: pass a copy when others read the original on another thread.
    """
    from meterai.credentials import KeyringUnavailable, keep_for_session, store_password

    kept = PasswordKept.UNCHANGED
    if password and not profile.embedded:
        try:
            store_password(profile, password)
            kept = PasswordKept.KEYRING
        except KeyringUnavailable:
            keep_for_session(profile, password)
            kept = PasswordKept.SESSION
    settings.profiles[profile.name] = profile
    settings.active_profile = profile.name
    save_settings(paths, settings)
    return kept


def first_start(paths: Paths) -> bool:
    """No settings and no outbox: this is the first time the app opens on this data."""
    return not paths.settings_file.exists() and not paths.database.exists()


def switches_provider(old: Profile, new: Profile) -> bool:
    """Whether saving ``new`` over the active ``old`` changes whom the app stamps with."""
    return (old.embedded, old.base_urls, old.user) != (new.embedded, new.base_urls, new.user)


def held_by_the_provider(box: Outbox) -> int:
    """Requests only the current provider can finish: uploaded there, numbered there (a
    serial number it sold), or stamped by it and not yet verified against its roots.

    Requests are not bound to a profile in the outbox, so after a switch the new
    provider is asked about a file id or a serial number it never issued and refuses:
    the request stops with an error until the user switches back. The account dialog
    asks before that happens.
    """
    from meterai.outbox.states import State

    part_way = (
        State.UPLOADED,
        State.NUMBERING,
        State.NUMBERED,
        State.STAMPED,
        State.DOWNLOADED,
        State.VERIFIED,
    )
    holding = [r for r in box.requests(states=[State.NEEDS_ATTENTION]) if r.sn]
    return box.count(states=part_way) + len(holding)
