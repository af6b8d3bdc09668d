"""``meterai recover --restore``: put the newest good backup back in place of a lost outbox."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_OK
from meterai.i18n import _

if TYPE_CHECKING:
    from meterai.outbox.restore import Restored


def run_restore(args: argparse.Namespace, ctx: CliContext) -> int:
    """Restore with the data dir's sync lock held, so no runner writes meanwhile."""
    from meterai.outbox.restore import restore_newest_backup
    from meterai.sync.runner import _take_lock

    lock = _take_lock(ctx.paths)
    try:
        restored = restore_newest_backup(ctx.paths)
    finally:
        lock.close()
    if getattr(args, "json", False):
        ctx.emit(_restored_json(restored))
        return EXIT_OK
    for path, why in restored.skipped:
        ctx.warn(
            _("backup {file} is unusable ({reason}); trying an older one").format(
                file=path.name, reason=why
            )
        )
    for path in restored.kept_aside:
        ctx.print(_("kept the damaged file as {path}").format(path=path))
    ctx.print(
        _("Restored {count} requests from the backup of {when} ({file}).").format(
            count=restored.requests,
            when=restored.source.taken_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            file=restored.source.path.name,
        )
    )
    for path in restored.unlisted_documents:
        ctx.print(
            _("not in the backup: {path} was queued after it was taken; add it again").format(
                path=path
            )
        )
    ctx.print(
        _(
            "The next `meterai sync` first reconciles with the provider: serial numbers "
            "bought after the backup are found again, not bought twice."
        )
    )
    return EXIT_OK


def _restored_json(restored: Restored) -> dict[str, Any]:
    """``recover --restore --json``: what the words say, one key per kind of line."""
    return {
        "restored": restored.requests,
        "backup": str(restored.source.path),
        "taken_at": restored.source.taken_at.isoformat(),
        "skipped": [{"file": str(path), "reason": why} for path, why in restored.skipped],
        "kept_aside": [str(path) for path in restored.kept_aside],
        "not_in_backup": [str(path) for path in restored.unlisted_documents],
    }
