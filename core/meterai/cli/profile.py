"""``meterai profile``: which provider to talk to. Passwords go to the OS keyring, never here."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_OK
from meterai.errors import InputError
from meterai.i18n import N_, _
from meterai.settings import SERVICES, Profile, save_settings


class UnknownProfile(InputError):
    code = "unknown_profile"
    template = N_("There is no profile “{name}”. Known profiles: {known}.")


def register(sub: Any) -> None:
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
    add.add_argument("--user", help=_("account user name"))
    add.set_defaults(func=run_add)
    use = actions.add_parser("use", help=_("make a profile the active one"))
    use.add_argument("name", help=_("profile name"))
    use.set_defaults(func=run_use)
    listing = actions.add_parser("list", help=_("list the profiles"))
    listing.set_defaults(func=run_list)


def _base_urls(values: list[str]) -> dict[str, str]:
    urls: dict[str, str] = {}
    for value in values:
        service, sep, url = value.partition("=")
        if sep and service in SERVICES:
            urls[service] = url.rstrip("/")
        else:
            urls.update({s: value.rstrip("/") for s in SERVICES if s not in urls})
    return urls


def run_add(args: argparse.Namespace, ctx: CliContext) -> int:
    settings = ctx.settings
    ca = str(Path(args.ca).expanduser().resolve()) if args.ca else None
    settings.profiles[args.name] = Profile(
        name=args.name,
        kind=args.kind,
        base_urls=_base_urls(args.base_url),
        ca_file=ca,
        user=args.user,
    )
    save_settings(ctx.paths, settings)
    ctx.print(_("profile {name} saved").format(name=args.name))
    return EXIT_OK


def run_use(args: argparse.Namespace, ctx: CliContext) -> int:
    settings = ctx.settings
    if args.name not in settings.profiles:
        raise UnknownProfile(name=args.name, known=", ".join(sorted(settings.profiles)))
    settings.active_profile = args.name
    save_settings(ctx.paths, settings)
    ctx.print(_("active profile: {name}").format(name=args.name))
    return EXIT_OK


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    settings = ctx.settings
    for name, profile in sorted(settings.profiles.items()):
        mark = "*" if name == settings.active_profile else " "
        where = (
            _("embedded sandbox")
            if profile.embedded
            else profile.base_urls.get("backendservice", "")
        )
        ctx.print(f"{mark} {name:<12} {profile.kind:<8} {where}")
    return EXIT_OK
