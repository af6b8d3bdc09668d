"""The evidence's one-page summary, in Indonesian and English on the same page.

A helpdesk agent at Peruri or a distributor may read either language, and the person
claiming may not know which: every label carries both ("Nomor seri / Serial number").
The journal's details stay as the journal wrote them (English, the language of logs
and journals); the request's last reason is worded in both languages.
"""

from __future__ import annotations

import datetime as dt

from meterai import __version__
from meterai.evidence.facts import Evidence
from meterai.i18n import LANGUAGES, N_
from meterai.messages import Message, Param
from meterai.outbox.states import STATE_LABELS, State
from meterai.printed import PrintedPage

FITTING_SIZES = (8.5, 7.5, 6.5, 6.0)


def both(msgid: str, **params: Param) -> str:
    """``msgid`` in Indonesian, then in English: "Nomor seri / Serial number"."""
    message = Message(msgid, params)
    indonesian, english = message.text("id"), message.text("en")
    return english if indonesian == english else f"{indonesian} / {english}"


def when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return dt.datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def state_in_both(state: State | str) -> str:
    return both(STATE_LABELS[State(state)])


def summary_pdf(evidence: Evidence, made_at: float) -> bytes:
    """The summary as PDF bytes: the request, every step with its time, the outcome.

    One page is what a helpdesk form takes: a long journal (many retries) is drawn in
    smaller type until it fits, down to 6 pt; past that it runs on (journal.json holds
    the same rows in full either way)."""
    for size in FITTING_SIZES:
        page = _summary_page(evidence, made_at, size)
        if page.pages_count == 1:
            break
    return page.to_bytes()


def _summary_page(evidence: Evidence, made_at: float, size: float) -> PrintedPage:
    row = evidence.request
    page = PrintedPage(both(N_("Evidence for stamp request {id}"), id=row.id), size=size)
    page.fields(_request_fields(evidence))
    page.heading(both(N_("Every step, with the provider's answers")))
    page.print_table(
        [
            ["#", both(N_("Time")), both(N_("State")), both(N_("Detail"))],
            *(
                [str(n), when(e.at), _moved(e.from_state, e.to_state), e.detail or ""]
                for n, e in enumerate(evidence.journal, start=1)
            ),
        ],
        whole=(0, 1),
    )
    notes = [m for m in (Message.from_json(row.last_error_msg), row.heard()) if m is not None]
    if notes:
        page.heading(both(N_("Last reason")))
        for lang in LANGUAGES:
            for note in notes:
                page.paragraph(note.text(lang))
    page.heading(both(N_("In this file")))
    page.paragraph(_contents(evidence))
    page.paragraph(
        both(
            N_("Made by Meterai Desk {version} at {time}."), version=__version__, time=when(made_at)
        )
    )
    return page


def _request_fields(evidence: Evidence) -> list[tuple[str, str]]:
    row = evidence.request
    failed = len(evidence.failures)
    fields = [
        (both(N_("Document")), row.file_name),
        (both(N_("sha256 of what was sent")), row.doc_sha256),
    ]
    if row.original_sha256 and row.original_sha256 != row.doc_sha256:
        fields.append((both(N_("sha256 of the file as given")), row.original_sha256))
    fields += [
        (both(N_("Document type")), f"{row.doc_type_name or ''} ({row.doc_type})".strip()),
        (both(N_("Serial number")), row.sn or "-"),
        (both(N_("Final state")), state_in_both(row.state)),
        (both(N_("Failed attempts")), str(failed)),
        (both(N_("Queued")), when(row.created_at)),
        (both(N_("Last change")), when(row.updated_at)),
    ]
    optional = [
        (N_("Document number"), row.nodoc),
        (N_("Customer"), row.customer),
        (N_("Provider's file id"), row.provider_file_id),
    ]
    fields += [(both(label), value) for label, value in optional if value]
    return fields


def _moved(from_state: str | None, to_state: str) -> str:
    if from_state is None or from_state == to_state:
        return state_in_both(to_state)
    return f"{state_in_both(from_state)} -> {state_in_both(to_state)}"


def _contents(evidence: Evidence) -> str:
    parts = [
        both(N_("summary.pdf: this page")),
        both(N_("journal.json: the request and its journal")),
        both(
            N_("log.txt: {count} log lines of this request, secrets removed"),
            count=len(evidence.log_lines),
        ),
    ]
    if evidence.stamped is not None:
        parts.append(both(N_("{name}: the stamped file"), name=evidence.stamped.name))
    else:
        parts.append(both(N_("no stamped file on this computer")))
    return "\n".join(parts)
