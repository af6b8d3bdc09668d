"""``meterai profile``: which provider to talk to. Passwords go to the OS keyring, never here."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_FAILED, EXIT_OK
from meterai.errors import InputError, UsageError
from meterai.i18n import N_, _
from meterai.settings import SERVICES, Profile, save_settings

if TYPE_CHECKING:
    from meterai.cli.context import Subparsers


class UnknownProfile(InputError):
    code = "unknown_profile"
    template = N_("There is no profile “{name}”. Known profiles: {known}.")


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("profile", help=_("provider profiles: sandbox or a real account"))
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    add = actions.add_parser("add", help=_("add or replace a profile"))
    add.add_argument("name", help=_("profile name"))
    add.add_argument(
        "--kind",
        choices=("sandbox", "peruri"),
        required=True,
        help=_("sandbox (a test service) or peruri (a collector account)"),
    )
    add.add_argument(
        "--base-url",
        required=True,
        action="append",
        help=_("one URL for every service, or SERVICE=URL (repeatable)"),
    )
    add.add_argument("--ca", help=_("CA file to trust for TLS and signatures"))
    _trust_arguments(add)
    add.add_argument("--user", help=_("account user name"))
    add.set_defaults(func=run_add)
    change = actions.add_parser("set", help=_("change the trust settings of a profile"))
    change.add_argument("name", help=_("profile name"))
    _trust_arguments(change)
    change.set_defaults(func=run_set)
    show = actions.add_parser("show", help=_("show a profile and what it trusts"))
    show.add_argument("name", nargs="?", help=_("profile name (default: the active one)"))
    _json_argument(show)
    show.set_defaults(func=run_show)
    use = actions.add_parser("use", help=_("make a profile the active one"))
    use.add_argument("name", help=_("profile name"))
    use.set_defaults(func=run_use)
    listing = actions.add_parser("list", help=_("list the profiles"))
    _json_argument(listing)
    listing.set_defaults(func=run_list)
    register_account(actions)


def register_account(actions: Subparsers) -> None:
    """The account verbs: store the password in the keyring, test the connection."""
    password = actions.add_parser(
        "set-password",
        help=_("store the account's password in the system keyring (asked for, never shown)"),
    )
    password.add_argument("name", help=_("profile name"))
    password.add_argument("--user", help=_("account user name (saved with the profile)"))
    password.add_argument(
        "--stdin",
        action="store_true",
        help=_("read the password from standard input (for scripts) instead of asking"),
    )
    password.set_defaults(func=run_set_password)
    test = actions.add_parser(
        "test",
        help=_("log in, show the balance and document types, check the trust roots"),
    )
    test.add_argument("name", nargs="?", help=_("profile name (default: the active one)"))
    _json_argument(test)
    test.set_defaults(func=run_test)


def _json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=_("machine-readable output"))


def profile_json(profile: Profile, active: str) -> dict[str, Any]:
    """A profile as ``--json`` gives it: where each service is and what is trusted (an
    embedded sandbox has no URLs). No password: it is in the keyring, never here."""
    return {
        "name": profile.name,
        "kind": profile.kind,
        "active": profile.name == active,
        "embedded": profile.embedded,
        "base_urls": dict(profile.base_urls),
        "user": profile.user,
        "tls_ca_file": profile.tls_ca_file,
        "sign_ca_files": list(profile.sign_ca_files),
    }


def _trust_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tls-ca",
        metavar="FILE",
        help=_("an extra CA trusted for TLS, on top of the system's roots ('none' to drop it)"),
    )
    parser.add_argument(
        "--sign-ca",
        metavar="FILE",
        action="append",
        help=_("the provider's signing CA, which stamps must chain to (repeatable)"),
    )


def _base_urls(values: list[str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for value in values:
        service, sep, url = value.partition("=")
        if sep and service in SERVICES:
            urls[service] = url.rstrip("/")
        else:
            urls.update({s: value.rstrip("/") for s in SERVICES if s not in urls})
    return urls


def _absolute(name: str) -> str:
    return str(Path(name).expanduser().resolve())


def _with_trust(profile: Profile, tls_ca: str | None, sign_ca: list[str] | None) -> Profile:
    """``profile`` with the trust settings given on the command line (the others kept)."""
    if tls_ca is not None:
        tls = None if tls_ca.lower() == "none" else _absolute(tls_ca)
        profile = replace(profile, tls_ca_file=tls)
    if sign_ca:
        profile = replace(profile, sign_ca_files=tuple(_absolute(f) for f in sign_ca))
    return profile


def _known(ctx: CliContext, name: str) -> Profile:
    profiles = ctx.settings.profiles
    if name not in profiles:
        raise UnknownProfile(name=name, known=", ".join(sorted(profiles)))
    return profiles[name]


def run_add(args: argparse.Namespace, ctx: CliContext) -> int:
    settings = ctx.settings
    profile = Profile(
        name=args.name, kind=args.kind, base_urls=_base_urls(args.base_url), user=args.user
    )
    if args.ca:
        profile = _with_trust(profile, args.ca, [args.ca])
    settings.profiles[args.name] = _with_trust(profile, args.tls_ca, args.sign_ca)
    save_settings(ctx.paths, settings)
    ctx.print(_("profile {name} saved").format(name=args.name))
    return EXIT_OK


def run_set(args: argparse.Namespace, ctx: CliContext) -> int:
    if args.tls_ca is None and not args.sign_ca:
        raise UsageError(detail=_("give --tls-ca FILE, --sign-ca FILE or both"))
    profile = _with_trust(_known(ctx, args.name), args.tls_ca, args.sign_ca)
    ctx.settings.profiles[args.name] = profile
    save_settings(ctx.paths, ctx.settings)
    ctx.print(_("profile {name} saved").format(name=args.name))
    return run_show(argparse.Namespace(name=args.name), ctx)


def run_show(args: argparse.Namespace, ctx: CliContext) -> int:
    profile = _known(ctx, args.name or ctx.settings.active_profile)
    if getattr(args, "json", False):
        ctx.emit(profile_json(profile, ctx.settings.active_profile))
        return EXIT_OK
    ctx.print(f"{profile.name} ({profile.kind})")
    for service in SERVICES:
        where = profile.base_urls.get(service) or _("embedded sandbox")
        ctx.print(f"  {service:<15} {where}")
    if profile.user:
        ctx.print("  " + _("user: {user}").format(user=profile.user))
    tls = _("the system's roots")
    if profile.tls_ca_file:
        tls = _("the system's roots and {file}").format(file=profile.tls_ca_file)
    ctx.print("  " + _("TLS trust: {roots}").format(roots=tls))
    if profile.sign_ca_files:
        signing = ", ".join(profile.sign_ca_files)
    elif profile.embedded:
        signing = _("the embedded sandbox's CA")
    else:
        signing = _("none: nothing will be bought until --sign-ca is set")
    ctx.print("  " + _("signature trust: {roots}").format(roots=signing))
    return EXIT_OK


def run_use(args: argparse.Namespace, ctx: CliContext) -> int:
    settings = ctx.settings
    _known(ctx, args.name)
    settings.active_profile = args.name
    save_settings(ctx.paths, settings)
    ctx.print(_("active profile: {name}").format(name=args.name))
    return EXIT_OK


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    settings = ctx.settings
    if args.json:
        profiles = sorted(settings.profiles.items())
        ctx.emit([profile_json(profile, settings.active_profile) for _name, profile in profiles])
        return EXIT_OK
    for name, profile in sorted(settings.profiles.items()):
        mark = "*" if name == settings.active_profile else " "
        where = (
            _("embedded sandbox")
            if profile.embedded
            else profile.base_urls.get("backendservice", "")
        )
        ctx.print(f"{mark} {name:<12} {profile.kind:<8} {where}")
    return EXIT_OK


class EmptyPassword(InputError):
    code = "empty_password"
    template = N_("No password was given; nothing was stored.")


def run_set_password(args: argparse.Namespace, ctx: CliContext) -> int:
    """The password goes to the keyring only; where there is none, the user is told to
    use ``METERAI_PASSWORD`` (nothing is written to a file)."""
    from meterai.credentials import store_password, user_for

    profile = _known(ctx, args.name)
    if args.user:
        profile = replace(profile, user=args.user)
    elif not profile.user and profile.kind != "sandbox":
        raise UsageError(
            detail=_("profile {name} has no user name: give --user USER").format(name=args.name)
        )
    user = user_for(profile)
    password = _read_password(args, user, profile.name)
    store_password(profile, password)
    if args.user:
        ctx.settings.profiles[args.name] = profile
        save_settings(ctx.paths, ctx.settings)
    ctx.print(
        _("password for {user} stored in the system keyring (profile {name})").format(
            user=user, name=profile.name
        )
    )
    return EXIT_OK


def _read_password(args: argparse.Namespace, user: str, profile: str) -> str:
    import getpass
    import sys

    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        prompt = _("Password for {user} ({profile}): ").format(user=user, profile=profile)
        password = getpass.getpass(prompt)
    if not password:
        raise EmptyPassword()
    return password


def run_test(args: argparse.Namespace, ctx: CliContext) -> int:
    from meterai.account import check_account
    from meterai.credentials import credentials_for

    profile = _known(ctx, args.name or ctx.settings.active_profile)
    report = check_account(ctx.paths, profile, credentials_for(profile))
    if args.json:
        checks = [
            {"name": check.name, "label": _(check.name), "ok": check.ok, "detail": check.detail}
            for check in report.checks
        ]
        ctx.emit({"profile": profile.name, "ok": report.ok, "checks": checks})
        return EXIT_OK if report.ok else EXIT_FAILED
    for check in report.checks:
        mark = _("ok") if check.ok else _("FAILED")
        ctx.print(f"{mark:<7} {_(check.name)}: {check.detail}")
    return EXIT_OK if report.ok else EXIT_FAILED
