"""Test a profile's account before anything is bought: trust roots, login, balance, types.

``meterai profile test NAME`` prints these checks (the GUI's *Test connection* is meant
to show the same list). They are verdicts as data: each check says whether it passed
and why, in the reader's language, and a failed login does not hide a missing trust
root. The login's answer is told apart from the network's: "the user name or password
was refused" is not "the service cannot be reached".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from meterai.errors import AuthFailed, MeteraiError
from meterai.i18n import N_, _
from meterai.settings import SERVICES, Paths, Profile

if TYPE_CHECKING:
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
    with _connected(paths, profile) as (connected, signer):
        checks = [_signature_trust(connected, signer), _tls_trust(connected)]
        checks += _provider_checks(connected, credentials)
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


@contextmanager
def _connected(paths: Paths, profile: Profile) -> Iterator[tuple[Profile, Path | None]]:
    """The profile with URLs to call, and the signing certificate when it is known here."""
    if not profile.embedded:
        yield profile, None
        return
    from meterai.sandbox import SandboxServer

    server = SandboxServer(paths.sandbox_dir)
    base = server.start()
    try:
        ca = str(server.ca_file)
        started = replace(
            profile, base_urls={s: base for s in SERVICES}, tls_ca_file=ca, sign_ca_files=(ca,)
        )
        yield started, server.material.signer_cert
    finally:
        server.stop()
