"""The CLI's boundary: a ``MeteraiError`` becomes words and an exit code, never a traceback."""

from __future__ import annotations

from typing import Any

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
EXIT_INTERRUPTED = 130  # Ctrl+C, as shells report a SIGINT


def exit_codes_help() -> str:
    """The exit codes, for the end of ``meterai --help`` (the README lists the same)."""
    lines = [
        _("Exit status:"),
        _("  0    done (also when the reader of --json output stopped early: ... | head -1)"),
        _("  1    an operation failed, a request needs attention, or a file is not valid"),
        _("  2    usage error: a wrong option or argument"),
        _("  3    input refused: a file not queued (add), a file that cannot be read (verify)"),
        _("  4    sync --once: requests are still waiting; run it again later"),
        _("  130  interrupted (Ctrl+C); the outbox is intact"),
    ]
    return "\n".join(lines)


def exit_code_for(exc: MeteraiError) -> int:
    if isinstance(exc, UsageError):
        return EXIT_USAGE
    if isinstance(exc, InputError | VerificationError):
        return EXIT_REJECTED  # input refused, or a file to check that cannot be read at all
    return EXIT_FAILED


def error_json(exc: MeteraiError) -> dict[str, Any]:
    """An error inside ``--json`` output: its stable id, and its words in the chosen language."""
    body: dict[str, Any] = {"id": exc.code, "message": exc.user_message()}
    findings = getattr(exc, "findings", ())
    if findings:
        body["findings"] = [finding_json(f.code, f.message.text()) for f in findings]
    return body


def finding_json(code: str, message: str) -> dict[str, str]:
    """One finding or warning in ``--json`` output: ``{"id": ..., "message": ...}``."""
    return {"id": str(code), "message": message}


def describe(exc: MeteraiError) -> str:
    return _("Error: {message}").format(message=exc.user_message())
