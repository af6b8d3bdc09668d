"""``meterai verify``: check any PDF for an e-Meterai, independently of the outbox.

The same report as the GUI's "Periksa meterai" (``meterai.checker``); the options add
what a request asked for, so a script can check a stamp against its own order.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from meterai.checker import StampCheck, Verdict, check_pdf, checking_roots
from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_FAILED, EXIT_OK
from meterai.errors import UsageError
from meterai.i18n import N_, _
from meterai.verify import Expectation, load_trust_roots

if TYPE_CHECKING:
    from meterai.cli.context import Subparsers


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("verify", help=_("check the e-Meterai of any PDF, offline"))
    parser.add_argument("file", metavar="FILE", help=_("the PDF to check"))
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


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    trust = checking_roots(ctx.paths, ctx.settings.profile, args.ca)
    result = check_pdf(
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
        ctx.print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_report(ctx, result)
    return EXIT_OK if result.verdict is Verdict.VALID else EXIT_FAILED


def _print_report(ctx: CliContext, result: StampCheck) -> None:
    """The verdict first, then every check, then the stamp's facts (as the GUI shows them)."""
    ctx.print(result.headline().text())
    for check in result.checks:
        ctx.print(("✓ " if check.passed else "✗ ") + check.message.text())
    for fact in result.facts():
        ctx.print(f"{fact.label.text()}: {fact.value_text()}")
