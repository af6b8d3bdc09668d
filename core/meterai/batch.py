"""``meterai add --batch``: a CSV of documents, checked whole before any is queued.

An operator preparing a day's batch wants one answer, "all good" or "fix these
lines", not half a batch queued and the rest to be sorted out by hand: so every
line is parsed, its file pre-flighted and its placement checked first, and every
problem is reported with its line number before anything is queued.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path

from meterai.documents import preflight
from meterai.documents.store import sha256_file
from meterai.errors import InputError
from meterai.i18n import N_, _
from meterai.intake import IntakeOptions, check_options, find_duplicate
from meterai.messages import Message
from meterai.outbox.store import Outbox
from meterai.placement import Rect, Spot, page_count, page_geometry, resolve_page

COLUMNS = ("file", "type", "page", "rect", "nodoc", "tgldoc")


class BatchInvalid(InputError):
    code = "batch_invalid"
    template = N_("{file}: nothing was queued; fix these lines first:\n{errors}")


class BatchColumns(InputError):
    code = "batch_columns"
    template = N_(
        "{file}: the first line must name the columns, from: {known}. Unknown: {unknown}."
    )


@dataclass(frozen=True)
class BatchLine:
    line: int
    path: Path
    options: IntakeOptions


def read_batch(csv_path: Path, base: IntakeOptions, outbox: Outbox) -> list[BatchLine]:
    """Every line as ready-to-queue options, or ``BatchInvalid`` naming each bad line.

    ``base`` carries the command line's options (``--type`` as the default type, the
    target, the fixes allowed); a file path is relative to the CSV's folder.
    """
    try:
        text = csv_path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(detail=f"{csv_path}: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    names = [n.strip().lower() for n in reader.fieldnames or []]
    unknown = sorted(set(names) - set(COLUMNS))
    if "file" not in names or unknown:
        raise BatchColumns(
            file=str(csv_path), known=", ".join(COLUMNS), unknown=", ".join(unknown) or "-"
        )
    reader.fieldnames = names
    lines, errors = [], []
    seen: dict[str, int] = {}
    for record in reader:
        number = reader.line_num
        cells = {k: (v or "").strip() for k, v in record.items() if k is not None}
        if not any(cells.values()):
            continue
        try:
            line = _line(number, cells, csv_path.parent, base, outbox)
            if not line.options.again:
                _check_not_duplicate(line, seen, outbox)
            lines.append(line)
        except InputError as exc:
            errors.append(
                _("line {line}: {problem}").format(line=number, problem=exc.user_message())
            )
    if errors:
        raise BatchInvalid(file=str(csv_path), errors="\n".join(errors))
    return lines


def _line(
    number: int, cells: dict[str, str], folder: Path, base: IntakeOptions, outbox: Outbox
) -> BatchLine:
    if not cells.get("file"):
        raise InputError(N_("the file column is empty."))
    path = Path(cells["file"]).expanduser()
    path = path if path.is_absolute() else folder / path
    page: str | int = cells.get("page") or "last"
    if page != "last":
        try:
            page = int(page)
        except ValueError:
            raise InputError(
                N_("page “{page}” is not a page number or 'last'."), page=page
            ) from None
    options = replace(
        base,
        doc_type=cells.get("type") or base.doc_type,
        page=page,
        spot=Spot(shown=Rect.parse(cells["rect"])) if cells.get("rect") else base.spot,
        nodoc=cells.get("nodoc") or base.nodoc,
        tgldoc=cells.get("tgldoc") or base.tgldoc,
    )
    if not options.doc_type:
        raise InputError(N_("no document type: fill the type column, or give --type."))
    check_options(outbox, options)
    if not path.is_file():
        raise InputError(N_("{path} is not a file."), path=str(path))
    _check_document(path, options)
    return BatchLine(number, path, options)


def _check_document(path: Path, options: IntakeOptions) -> None:
    """Refuse what intake would refuse: a problem no allowed fix clears, a stamp off the page."""
    report = preflight(path, options.target)
    stuck = [f for f in report.blocking if f.fix is None or f.fix not in options.fixes]
    if stuck:
        raise InputError(N_("{reasons}"), reasons=Message.sentences([f.message for f in stuck]))
    if options.spot is not None:
        index = resolve_page(options.page, page_count(path))
        options.spot.placement(page_geometry(path, index))


def _check_not_duplicate(line: BatchLine, seen: dict[str, int], outbox: Outbox) -> None:
    """A document already queued or stamped, or twice in this batch, would buy twice."""
    sha = sha256_file(line.path)
    if sha in seen:
        raise InputError(
            N_("the same document as line {line}: list it once, or add --again to stamp it twice."),
            line=seen[sha],
        )
    seen[sha] = line.line
    duplicate = find_duplicate(outbox, line.path, sha)
    if duplicate is not None:
        raise duplicate
