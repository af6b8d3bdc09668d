"""The CLI's boundary: a ``MeteraiError`` becomes words and an exit code, never a traceback."""

from __future__ import annotations

from meterai.errors import InputError, MeteraiError, UsageError, VerificationError
from meterai.i18n import _

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3
# ``sync --once`` stopped with requests still waiting (a backoff, the provider's queue,
# nothing moving before its deadline): nothing is wrong, run it again later. Distinct
# from 1 so that a scheduler retries without paging anyone.
EXIT_PENDING = 4


def exit_code_for(exc: MeteraiError) -> int:
    if isinstance(exc, UsageError):
        return EXIT_USAGE
    if isinstance(exc, InputError | VerificationError):
        return EXIT_REJECTED  # input refused, or a file to check that cannot be read at all
    return EXIT_FAILED


def describe(exc: MeteraiError) -> str:
    return _("Error: {message}").format(message=exc.user_message())
