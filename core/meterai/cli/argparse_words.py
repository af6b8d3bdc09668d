"""argparse's own words ("usage:", "invalid int value") through our catalogue.

argparse translates with the stdlib's module-level ``gettext``, whose catalogue we never
install (it would be process-wide and need a compiled ``.mo`` on disk). Its texts are
marked here, so the catalogue test holds them to 100% like ours, and argparse's module
functions are pointed at our one catalogue: ``--lang id`` then reads Indonesian to the end.
"""

from __future__ import annotations

import argparse

from meterai.i18n import N_, _, ngettext

# argparse's message ids (Python 3.11-3.13) that a user of ``meterai`` can meet.
ARGPARSE_STRINGS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("ignored explicit argument %r"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("can't open '%(filename)s': %(error)s"),
)


def speak_our_language() -> None:
    """Make argparse ask our catalogue (in the language current when it asks)."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
