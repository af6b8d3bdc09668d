"""Entry point of ``meterai``: global options, then one subcommand per group."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from meterai import i18n, system
from meterai.cli import errors as cli_errors
from meterai.cli.argparse_words import speak_our_language
from meterai.cli.context import CliContext, silence
from meterai.disk import disk_error
from meterai.errors import MeteraiError, UsageError
from meterai.i18n import _
from meterai.logs import setup_logging
from meterai.settings import Paths, resolve_paths

Handler = Callable[[argparse.Namespace, CliContext], int]

# Each group module exposes ``register(subparsers)`` and sets ``func`` on its parsers.
GROUPS = (
    "add",
    "status",
    "types",
    "sync",
    "verify",
    "profile",
    "sandbox",
    "kiosk",
    "report",
    "evidence",
    "selftest",
    "outbox",
)


# Commands that talk to the provider or change the outbox leave a trace in the log file.
LOGGED_COMMANDS = frozenset(
    {"add", "replace", "sync", "retry", "recover", "cancel", "sandbox", "kiosk"}
)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so usage errors speak our language."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(_("Usage error: {detail}"), detail=message)


# Commands defined by a group module of another name; every other command is its own group.
COMMAND_GROUPS = {
    "show": "status",
    "cancel": "status",
    "retry": "sync",
    "recover": "sync",
    "replace": "add",
    "self-test": "selftest",
}
_OPTIONS_WITH_VALUES = frozenset({"--data-dir", "--lang", "--database"})


def groups_for(argv: Sequence[str]) -> tuple[str, ...]:
    """Only the group of the command being run: ``meterai status`` must not import pyHanko.

    ``--help`` or an unknown command gets every group, so the help and the error list all.
    """
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in _OPTIONS_WITH_VALUES:
            skip = True
            continue
        if arg.startswith("-"):
            continue
        group = COMMAND_GROUPS.get(arg, arg)
        return (group,) if group in GROUPS else GROUPS
    return GROUPS


def build_parser(groups: Sequence[str] = GROUPS) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="meterai",
        description=_("Stamp PDF documents with e-Meterai, offline-tolerant."),
        epilog=cli_errors.exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data-dir", help=_("where the outbox and documents live"))
    parser.add_argument("--lang", choices=i18n.LANGUAGES, help=_("language of messages"))
    parser.add_argument(
        "--database",
        metavar="URL",
        help=_("a shared PostgreSQL outbox (postgresql://user@host/dbname) instead of SQLite"),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in groups:
        module = __import__(f"meterai.cli.{name}", fromlist=["register"])
        module.register(sub)
    return parser


def _choose_database(text: str) -> None:
    """``--database`` wins over the environment and the settings, here and in every
    process the command starts (the sync worker, the sandbox): it is passed on as
    ``METERAI_DATABASE``. The address is checked now, before anything is opened."""
    import os

    from meterai.outbox.postgres.address import ENV_VAR, DatabaseUrl

    if text.strip().lower() != "sqlite":
        DatabaseUrl.parse(text)
    os.environ[ENV_VAR] = text


def _preselect_language(argv: Sequence[str]) -> None:
    """Pick the language before argparse builds its help texts."""
    lang = None
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
    if lang not in i18n.LANGUAGES:
        lang = i18n.language_from_environment()
    i18n.set_language(lang)


def run(argv: Sequence[str], ctx_factory: Callable[[str | None], CliContext] | None = None) -> int:
    argv = list(argv)
    speak_our_language()
    _preselect_language(argv)
    ctx: CliContext | None = None
    paths: Paths | None = None
    try:
        args = build_parser(groups_for(argv)).parse_args(argv)
        paths = resolve_paths(args.data_dir)
        if args.database:
            _choose_database(args.database)
        ctx = ctx_factory(args.data_dir) if ctx_factory else CliContext(paths=paths)
        if args.command in LOGGED_COMMANDS:
            setup_logging(paths)
        handler: Handler = args.func
        return handler(args, ctx)
    except MeteraiError as exc:
        print(cli_errors.describe(exc), file=sys.stderr)
        return cli_errors.exit_code_for(exc)
    except BrokenPipeError:
        silence(sys.stdout)  # the reader went away (`... | head -1`): not an error
        return cli_errors.EXIT_OK
    except OSError as exc:
        refused = disk_error(exc, paths.data_dir) if paths is not None else None
        if refused is None:
            raise  # not the disk: a bug, which keeps its traceback
        print(cli_errors.describe(refused), file=sys.stderr)
        return cli_errors.exit_code_for(refused)
    except KeyboardInterrupt:
        print(_("Interrupted; the outbox is intact."), file=sys.stderr)
        return cli_errors.EXIT_INTERRUPTED
    finally:
        if ctx is not None:
            ctx.close()


def main() -> NoReturn:
    system.tolerant_console()
    code = run(sys.argv[1:])
    try:
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is quiet
    except BrokenPipeError:
        silence(sys.stdout)
    sys.exit(code)


if __name__ == "__main__":
    main()
