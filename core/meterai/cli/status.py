"""``meterai status``, ``show`` and ``cancel``: reading and withdrawing requests."""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_FAILED, EXIT_OK
from meterai.i18n import N_, _
from meterai.outbox.states import State, state_label
from meterai.outbox.store import RequestRow
from meterai.restamp import restamp_deadline, restamp_note

if TYPE_CHECKING:
    from collections.abc import Iterator

    from meterai.cli.context import Subparsers

SHOWN_AT_MOST = 500
"""Rows ``status`` lists before it keeps to the newest (and those needing attention)."""

STATUS_FIELDS = (
    "id",
    "file",
    "sha256",
    "state",
    "attempts",
    "last_error",
    "next_attempt_at",
    "sn",
    "doc_type",
    "page_index",
    "rect",
    "output_path",
    "customer",
    "queue_position",
    "provider_message",
)


def register(sub: Subparsers) -> None:
    status = sub.add_parser("status", help=_("list every request in the outbox"))
    status.add_argument("--json", action="store_true", help=_("machine-readable output"))
    status.add_argument(
        "--all",
        action="store_true",
        help=_("list every request, not only the newest and those needing attention"),
    )
    status.set_defaults(func=run_status)

    show = sub.add_parser("show", help=_("one request and its journal"))
    show.add_argument("id", type=int, help=_("request id"))
    show.add_argument("--json", action="store_true", help=_("machine-readable output"))
    show.set_defaults(func=run_show)

    cancel = sub.add_parser(
        "cancel",
        help=_(
            "withdraw a request; an unused serial number it holds is kept for the next document"
        ),
    )
    cancel.add_argument("id", type=int, help=_("request id"))
    cancel.set_defaults(func=run_cancel)


def _stamp(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def status_json(row: RequestRow, restamp_by: float | None = None) -> dict[str, Any]:
    """Everything the ``status`` line shows, plus the raw values behind it: the words in
    the chosen language (``state_label``, ``reason``), the ids and numbers as stored,
    and ``restamp_by``, the end of the provider's window for a stamp being retried."""
    body = row.as_json()
    shown = {key: body.get(key, list(row.rect) if key == "rect" else None) for key in STATUS_FIELDS}
    shown["state_label"] = state_label(row.state)
    shown["reason"] = shown_reason(row, restamp_by)
    shown["restamp_by"] = restamp_by
    return shown


def shown_reason(row: RequestRow, restamp_by: float | None = None) -> str:
    """Why it waits, until when, and what the provider said: the status line's last column."""
    if row.state in (State.DONE, State.CANCELLED):
        return ""
    parts = [row.reason()]
    if row.next_attempt_at and row.state != State.NEEDS_ATTENTION:
        parts.append(_("next try {when}").format(when=_stamp(row.next_attempt_at)))
    heard = row.heard()
    if heard is not None:
        parts.append(heard.text())
    if restamp_by is not None:
        parts.append(restamp_note(restamp_by, time.time()).text())
    return "; ".join(part for part in parts if part)


def run_status(args: argparse.Namespace, ctx: CliContext) -> int:
    outbox = ctx.reader()
    if args.json:
        # Streamed row by row so a 10,000-request outbox never sits in memory at once.
        ctx.write("[")
        for i, row in enumerate(_iter_rows(ctx)):
            if ctx.output_closed:
                break  # nobody reads the rest: stop reading the outbox for it
            body = status_json(row, restamp_deadline(outbox, row))
            ctx.write(("," if i else "") + "\n  " + json.dumps(body))
        ctx.write("\n]\n")
        return EXIT_OK
    total = outbox.count()
    if total == 0:
        ctx.print(_("The outbox is empty."))
        return EXIT_OK
    header = (_("ID"), _("State"), _("Tries"), _("Serial number"), _("File"), _("Reason"))
    ctx.print("  ".join(header))
    width = max(len(state_label(state)) for state in State)  # the state column, aligned
    shown = _iter_rows(ctx) if args.all or total <= SHOWN_AT_MOST else _rows_worth_showing(ctx)
    listed = 0
    for row in shown:
        listed += 1
        ctx.print(
            f"{row.id:>4}  {state_label(row.state):<{width}}  {row.attempts:>3}  "
            f"{row.sn or '-':<22}  {row.file_name}  "
            f"{shown_reason(row, restamp_deadline(outbox, row))}"
        )
    if listed < total:
        ctx.print(
            _("{count} older requests not shown; `meterai status --all` lists every one.").format(
                count=total - listed
            )
        )
    attention = outbox.count(states=[State.NEEDS_ATTENTION])
    return EXIT_FAILED if attention else EXIT_OK


def _iter_rows(ctx: CliContext, page: int = 500) -> Iterator[RequestRow]:
    outbox = ctx.reader()
    last = 0
    while batch := outbox.requests(limit=page, after_id=last):
        yield from batch
        last = batch[-1].id


def _rows_worth_showing(ctx: CliContext) -> list[RequestRow]:
    """The newest requests and every older one that needs attention, in id order.

    A kiosk's outbox holds a year of finished requests: listing 100,000 lines took
    seconds and told the operator nothing the newest and the stuck ones do not.
    """
    outbox = ctx.reader()
    newest = outbox.requests(limit=SHOWN_AT_MOST, newest_first=True)
    oldest_shown = newest[-1].id
    stuck = outbox.requests(states=[State.NEEDS_ATTENTION], limit=SHOWN_AT_MOST)
    older = [row for row in stuck if row.id < oldest_shown]
    return older + newest[::-1]


def run_show(args: argparse.Namespace, ctx: CliContext) -> int:
    outbox = ctx.reader()
    row = outbox.get(args.id)
    journal = outbox.journal(args.id)
    restamp_by = restamp_deadline(outbox, row)
    if args.json:
        body = status_json(row, restamp_by)
        body["journal"] = [j.as_json() for j in journal]
        ctx.print(json.dumps(body, indent=2))
        return EXIT_OK
    fields = _shown_fields(row, restamp_by)
    width = max(len(label) for label in fields)
    for label, value in fields.items():
        ctx.print(f"{label:>{width}}: {value}")
    ctx.print()
    ctx.print(_("Journal:"))
    for entry in journal:
        src = "-" if entry.from_state is None else state_label(entry.from_state)
        moved = f"{src} -> {state_label(entry.to_state)}"
        ctx.print(f"  {_stamp(entry.at)}  {moved}  {entry.text()}")
    return EXIT_OK


# What ``show`` calls each field, in the reader's language (``--json`` keeps the keys).
_SHOWN = {
    "id": N_("ID"),
    "file": N_("File"),
    "sha256": N_("SHA-256"),
    "state": N_("State"),
    "attempts": N_("Tries"),
    "next_attempt_at": N_("Next try"),
    "sn": N_("Serial number"),
    "doc_type": N_("Document type"),
    "page_index": N_("Page"),
    "rect": N_("Stamp area"),
    "output_path": N_("Stamped file"),
    "customer": N_("Customer"),
    "reason": N_("Reason"),
}


def _shown_fields(row: RequestRow, restamp_by: float | None) -> dict[str, str]:
    """The request as ``show`` words it: labels and states translated, times readable,
    pages counted from 1; the stored English error is left to ``reason``, which says it
    in the reader's language (with the queue position and the provider's words)."""
    body = status_json(row, restamp_by)
    body["state"] = state_label(row.state)
    body["next_attempt_at"] = _stamp(row.next_attempt_at)
    body["page_index"] = row.page_index + 1
    body["rect"] = ", ".join(f"{v:g}" for v in row.rect)
    return {_(label): _or_dash(body.get(key)) for key, label in _SHOWN.items()}


def _or_dash(value: Any) -> str:
    return "-" if value is None or value == "" else str(value)


def run_cancel(args: argparse.Namespace, ctx: CliContext) -> int:
    box = ctx.outbox()
    held = box.get(args.id).sn
    row = box.cancel(args.id)
    ctx.print(_("cancelled {id} {file}").format(id=row.id, file=row.file_name))
    if held is not None and row.sn is None:
        ctx.print(
            _("serial number {sn} is kept: the next document will use it instead of buying").format(
                sn=held
            )
        )
    return EXIT_OK
