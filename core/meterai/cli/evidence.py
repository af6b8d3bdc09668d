"""``meterai evidence ID --out FILE.zip``: what a refund or helpdesk claim needs, in one file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_OK
from meterai.i18n import _

if TYPE_CHECKING:
    from meterai.cli.context import Subparsers


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "evidence",
        help=_(
            "save a request's evidence for the helpdesk: summary PDF in both languages, "
            "journal, log lines without secrets, stamped file"
        ),
    )
    parser.add_argument("id", type=int, help=_("request id"))
    parser.add_argument(
        "--out", metavar="FILE.zip", help=_("where to write it (default: evidence-ID.zip)")
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from meterai.evidence import save_evidence  # fpdf2 loads for this command only

    dest = Path(args.out or f"evidence-{args.id}.zip")
    evidence = save_evidence(ctx.reader(), ctx.paths, args.id, dest)
    ctx.print(_("Evidence for request {id} written to {path}").format(id=args.id, path=dest))
    ctx.print(
        _("{failures} failed attempts, {lines} log lines; stamped file: {stamped}").format(
            failures=len(evidence.failures),
            lines=len(evidence.log_lines),
            stamped=evidence.stamped.name if evidence.stamped else _("none"),
        )
    )
    return EXIT_OK
