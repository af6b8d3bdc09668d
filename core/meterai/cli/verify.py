"""``meterai verify``: check a stamped PDF independently of the outbox."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_FAILED, EXIT_OK
from meterai.errors import InputError, UsageError
from meterai.i18n import N_, _
from meterai.verify import Expectation, load_trust_roots, verify_stamped

if TYPE_CHECKING:
    from meterai.cli.context import Subparsers


class NoTrustRoot(InputError):
    code = "no_trust_root"
    template = N_("No trusted authority is known for profile {profile}: give --ca FILE.")


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("verify", help=_("check the e-Meterai signature of a stamped PDF"))
    parser.add_argument("file", help=_("the stamped PDF"))
    parser.add_argument("--original", help=_("the document as it was queued"))
    parser.add_argument(
        "--page", type=_page, metavar="N", help=_("the page the stamp must be on (1 = first)")
    )
    parser.add_argument(
        "--rect",
        type=_rect,
        metavar="X1,Y1,X2,Y2",
        help=_("where the stamp must be, in PDF points, as the report prints it"),
    )
    parser.add_argument("--sn", help=_("the serial number the stamp must carry"))
    parser.add_argument("--ca", help=_("trusted authority (default: the active profile's)"))
    parser.add_argument("--json", action="store_true", help=_("machine-readable output"))
    parser.set_defaults(func=run)


def _page(text: str) -> int:
    """1-based on the command line, as people count pages; 0-based inside."""
    try:
        page = int(text)
    except ValueError:
        page = 0
    if page < 1:
        raise UsageError(N_("--page takes a page number from 1, not '{value}'."), value=text)
    return page - 1


def _rect(text: str) -> tuple[float, float, float, float]:
    try:
        x1, y1, x2, y2 = (float(part) for part in text.split(","))
    except ValueError:
        raise UsageError(
            N_("--rect takes four numbers X1,Y1,X2,Y2 in PDF points, not '{value}'."),
            value=text,
        ) from None
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _trust_files(ctx: CliContext, ca: str | None) -> list[Path]:
    """``--ca``, else the active profile's signature trust roots (never its TLS ones)."""
    if ca:
        return [Path(ca)]
    profile = ctx.settings.profile
    if profile.sign_ca_files:
        return [Path(name) for name in profile.sign_ca_files]
    if profile.embedded:
        from meterai.sandbox.pki import material_in

        return [material_in(ctx.paths.sandbox_dir / "ca").ca_file]
    raise NoTrustRoot(profile=profile.name)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    trust = _trust_files(ctx, args.ca)
    if not all(path.is_file() for path in trust):
        raise NoTrustRoot(profile=ctx.settings.profile.name)
    report = verify_stamped(
        Path(args.file),
        load_trust_roots(trust),
        Expectation(
            original=Path(args.original) if args.original else None,
            page_index=args.page,
            rect=args.rect,
            serial_number=args.sn,
        ),
    )
    if args.json:
        ctx.print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        for check in report.checks:
            ctx.print(("✓ " if check.passed else "✗ ") + check.message.text())
        ctx.print(report.summary())
    return EXIT_OK if report.ok else EXIT_FAILED
