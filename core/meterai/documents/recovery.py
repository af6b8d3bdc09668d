"""Whether qpdf can rebuild a damaged PDF without losing anything visible.

qpdf recovers almost any file by scanning for objects, but a truncated file comes
back with pages whose content objects are simply gone: "repaired" yet blank. A
repair is offered (and applied automatically) only when every page still has its
content and everything that content names (fonts, images, forms), because a
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
    return _draws_with_what_it_has(page, _inherited(page, pikepdf.Name.Resources), depth=0)


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


# Operators that name a resource, and the resource dictionary the name is looked up in.
_NAMED = {
    "Tf": pikepdf.Name.Font,
    "Do": pikepdf.Name.XObject,
    "gs": pikepdf.Name.ExtGState,
    "sh": pikepdf.Name.Shading,
    "cs": pikepdf.Name.ColorSpace,
    "CS": pikepdf.Name.ColorSpace,
}
_DEVICE_SPACES = {"/DeviceGray", "/DeviceRGB", "/DeviceCMYK", "/Pattern"}
_MAX_FORM_DEPTH = 8


def _draws_with_what_it_has(owner: pikepdf.Object, resources: object, depth: int) -> bool:
    """Every font, image, form, state and shading the content names is still there.

    Only what the drawing names is checked: qpdf turns a lost object into null, but a
    file may also hold legitimate nulls (``/DecodeParms [null]``) that lose nothing.
    """
    for instruction in pikepdf.parse_content_stream(owner):
        operands, operator = instruction.operands, instruction.operator
        category = _NAMED.get(str(operator))
        if category is None or not operands or str(operands[0]) in _DEVICE_SPACES:
            continue
        table = resources.get(category) if isinstance(resources, pikepdf.Dictionary) else None
        used = table.get(str(operands[0])) if isinstance(table, pikepdf.Dictionary) else None
        if used is None:
            return False
        if isinstance(used, pikepdf.Stream):
            _stream_readable(used)
            if used.get(pikepdf.Name.Subtype) == pikepdf.Name.Form:
                inner = used.get(pikepdf.Name.Resources, resources)
                if depth >= _MAX_FORM_DEPTH or not _draws_with_what_it_has(used, inner, depth + 1):
                    return False
    return True


def _stream_readable(stream: object) -> bool:
    if not isinstance(stream, pikepdf.Stream):
        return False
    stream.read_raw_bytes()
    return True
