"""``meterai outbox``: the outbox's home. ``migrate --to`` moves a counter's SQLite outbox
into a shared PostgreSQL database; ``password`` keeps that database's password in the
system keyring (the address on disk never holds it)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_OK
from meterai.i18n import _

if TYPE_CHECKING:
    from meterai.cli.context import Subparsers


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("outbox", help=_("move the outbox to a shared database"))
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    migrate = verbs.add_parser(
        "migrate",
        help=_("copy this folder's outbox into an empty PostgreSQL database, in one go"),
    )
    migrate.add_argument(
        "--to", required=True, metavar="URL", help=_("postgresql://user@host:5432/dbname")
    )
    migrate.set_defaults(func=run_migrate)
    password = verbs.add_parser(
        "password", help=_("store the shared database's password in the system keyring")
    )
    password.add_argument("url", metavar="URL", help=_("postgresql://user@host:5432/dbname"))
    password.set_defaults(func=run_password)


def run_migrate(args: argparse.Namespace, ctx: CliContext) -> int:
    from meterai.outbox.postgres.address import DatabaseUrl
    from meterai.outbox.postgres.counter import counter_name
    from meterai.outbox.postgres.moving import move_outbox
    from meterai.outbox.store import Outbox

    url = DatabaseUrl.parse(args.to)
    Outbox.open(ctx.paths).close()  # the same refusals as every command: lost, damaged, newer
    report = move_outbox(ctx.paths, url, counter=counter_name(ctx.paths))
    ctx.print(
        _(
            "Moved {requests} requests, {journal} journal rows and {serials} serial numbers "
            "to {url}; {results} stamped results and {mb} MB of documents went with them."
        ).format(
            requests=report.rows["requests"],
            journal=report.rows["journal"],
            serials=report.rows["serials"],
            url=url,
            results=report.results,
            mb=f"{report.documents_bytes / 1e6:.1f}",
        )
    )
    ctx.print(_("The SQLite file was left as it was: {path}").format(path=ctx.paths.database))
    return EXIT_OK


def run_password(args: argparse.Namespace, ctx: CliContext) -> int:
    from meterai.outbox.postgres.address import DatabaseUrl
    from meterai.outbox.postgres.connect import store_password

    url = DatabaseUrl.parse(args.url)
    if sys.stdin is not None and sys.stdin.isatty():
        secret = getpass.getpass(_("Password for {url}: ").format(url=url))
    else:
        secret = sys.stdin.readline().rstrip("\n") if sys.stdin is not None else ""
    store_password(url, secret)
    ctx.print(_("The password for {url} is in the system keyring.").format(url=url))
    return EXIT_OK
