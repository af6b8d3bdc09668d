"""``meterai self-test``: does this installed copy stamp and verify a document?"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_FAILED, EXIT_OK
from meterai.i18n import _

if TYPE_CHECKING:
    from meterai.cli.context import Subparsers


def register(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "self-test",
        help=_(
            "stamp a generated document against the embedded sandbox in a temporary folder "
            "and verify it (your data and keyring are not touched)"
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    from meterai.selftest import run_self_test

    return EXIT_OK if run_self_test(ctx.print) else EXIT_FAILED
