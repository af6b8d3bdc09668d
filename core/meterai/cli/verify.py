"""``meterai verify``: check a stamped PDF independently of the outbox."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_FAILED, EXIT_OK
from meterai.errors import InputError
from meterai.i18n import N_, _
from meterai.verify import Expectation, load_trust_roots, verify_stamped


class NoTrustRoot(InputError):
    code = "no_trust_root"
    template = N_("No trusted authority is known for profile {profile}: give --ca FILE.")


def register(sub: Any) -> None:
    parser = sub.add_parser("verify", help=_("check the e-Meterai signature of a stamped PDF"))
    parser.add_argument("file", help=_("the stamped PDF"))
    parser.add_argument("--original", help=_("the document as it was queued"))
    parser.add_argument("--ca", help=_("trusted authority (default: the active profile's)"))
    parser.add_argument("--json", action="store_true", help=_("machine-readable output"))
    parser.set_defaults(func=run)


def _trust_file(ctx: CliContext, ca: str | None) -> Path:
    if ca:
        return Path(ca)
    profile = ctx.settings.profile
    if profile.ca_file:
        return Path(profile.ca_file)
    if profile.embedded:
        from meterai.sandbox.pki import material_in

        return material_in(ctx.paths.sandbox_dir / "ca").ca_file
    raise NoTrustRoot(profile=profile.name)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    trust = _trust_file(ctx, args.ca)
    if not trust.is_file():
        raise NoTrustRoot(profile=ctx.settings.profile.name)
    report = verify_stamped(
        Path(args.file),
        load_trust_roots([trust]),
        Expectation(original=Path(args.original) if args.original else None),
    )
    if args.json:
        ctx.print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        for check in report.checks:
            ctx.print(("✓ " if check.passed else "✗ ") + check.text())
        ctx.print(report.summary())
    return EXIT_OK if report.ok else EXIT_FAILED
