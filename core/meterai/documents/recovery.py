"""Whether qpdf can rebuild a damaged PDF without losing anything visible.

qpdf recovers almost any file by scanning for objects, but a truncated file comes
back with pages whose content objects are simply gone: "repaired" yet blank. A
repair is offered (and applied automatically) only when every page still has its
content and everything that content draws with (images, fonts, forms), because a
stamp on a silently emptied document is worse than a refusal. A one-page scan cut
anywhere inside its image used to pass: the page kept its few bytes of drawing
commands and lost the scan.
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
    if not streams or not all(_stream_readable(s) for s in streams):
        return False
    resources = _inherited(page, pikepdf.Name.Resources)
    return resources is None or _intact(resources, set())


def _inherited(page: pikepdf.Object, key: pikepdf.Name) -> pikepdf.Object | None:
    """A page may take its resources from an ancestor in the page tree."""
    node: pikepdf.Object | None = page
    for _ in range(64):
        if node is None:
            return None
        value = node.get(key)
        if value is not None:
            return value
        node = node.get(pikepdf.Name.Parent)
    return None


def _intact(obj: object, seen: set[tuple[int, int]]) -> bool:
    """Every object reachable from ``obj`` is present; a null value is a lost object."""
    if obj is None:
        return False
    if not isinstance(obj, pikepdf.Object):
        return True
    if obj.is_indirect:
        if obj.objgen in seen:
            return True
        seen.add(obj.objgen)
    if isinstance(obj, pikepdf.Stream):
        return _stream_readable(obj) and _intact(obj.stream_dict, seen)
    if isinstance(obj, pikepdf.Dictionary):
        return all(_intact(value, seen) for _key, value in obj.items())
    if isinstance(obj, pikepdf.Array):
        return all(_intact(item, seen) for item in obj)
    return True


def _stream_readable(stream: object) -> bool:
    if not isinstance(stream, pikepdf.Stream):
        return False
    stream.read_raw_bytes()
    return True
