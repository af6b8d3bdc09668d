"""``meterai types``: the document types a request can name."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from meterai import doctypes
from meterai.cli.context import CliContext
from meterai.i18n import _

if TYPE_CHECKING:
    from meterai.cli.context import Subparsers


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("types", help=_("list the document types (jenis dokumen)"))
    parser.add_argument("--json", action="store_true", help=_("machine-readable output"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    types, from_provider = doctypes.cached_types(ctx.outbox())
    if args.json:
        ctx.print(json.dumps([asdict(t) for t in types], ensure_ascii=False, indent=2))
        return 0
    if not from_provider:
        ctx.warn(_("Built-in list: the provider has not been reached yet."))
    width = max(len(t.kode) for t in types)
    for t in types:
        ctx.print(f"{t.kode:<{width}}  {t.nama}")
    return 0
