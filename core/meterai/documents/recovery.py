"""Whether qpdf can rebuild a damaged PDF without losing anything visible.

qpdf recovers almost any file by scanning for objects, but a truncated file comes
back with pages whose content objects are simply gone: "repaired" yet blank. A
repair is offered (and applied automatically) only when every page still has its
content, because a stamp on a silently emptied document is worse than a refusal.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

from meterai.documents.errors import RepairFailed


def open_recovered(path: Path) -> pikepdf.Pdf:
    """Open ``path`` with qpdf's recovery; raise ``RepairFailed`` if content was lost."""
    try:
        pdf = pikepdf.open(path, attempt_recovery=True)
    except pikepdf.PikepdfError as exc:
        raise RepairFailed(detail=str(exc)) from exc
    try:
        _require_intact_pages(pdf)
    except BaseException:
        pdf.close()
        raise
    return pdf


def can_repair(path: Path) -> bool:
    try:
        open_recovered(path).close()
    except RepairFailed:
        return False
    return True


def _require_intact_pages(pdf: pikepdf.Pdf) -> None:
    try:
        pages = list(pdf.pages)
        if not pages or not all(_has_content(page.obj) for page in pages):
            raise RepairFailed(detail="pages or their content are missing")
    except pikepdf.PikepdfError as exc:
        raise RepairFailed(detail=str(exc)) from exc


def _has_content(page: pikepdf.Object) -> bool:
    """qpdf resolves a missing object to null, which reads as an absent key."""
    contents = page.get(pikepdf.Name.Contents)
    if contents is None:
        return False
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    return bool(streams) and all(_stream_readable(s) for s in streams)


def _stream_readable(stream: object) -> bool:
    if not isinstance(stream, pikepdf.Stream):
        return False
    stream.read_raw_bytes()
    return True
