"""Changes made to a stamped PDF after it was signed, the way a tamperer would make them.

The sandbox's fault injection serves these instead of the stamped result, so the
engine's check before ``done`` is exercised against a provider (or anything on the
path) that alters the file; the verification tests use them directly. Each change is
a valid incremental update written by pyHanko's ``IncrementalPdfFileWriter``, as an
editor would append it, except :func:`append_junk`, which is not a PDF revision at all.
"""

from __future__ import annotations

import io
from typing import Any

JUNK = b"% appended after the signature\nnot part of any revision\n"


def append_content(data: bytes, text: str = "LUNAS") -> bytes:
    """A revision that draws ``text`` on page 1: the document a reader sees changes."""
    from pyhanko.pdf_utils import generic

    writer = _writer(data)
    page = _first_page(writer)
    drawing = f"BT /F1 36 Tf 72 420 Td ({text}) Tj ET\n".encode("latin-1")
    stream = writer.add_object(generic.StreamObject(stream_data=drawing))
    current = page.raw_get("/Contents")
    resolved = current.get_object()
    contents = list(resolved) if isinstance(resolved, list) else [current]
    page["/Contents"] = generic.ArrayObject([*contents, stream])
    writer.update_container(page)
    return _written(writer)


def append_annotation(data: bytes, text: str = "LUNAS") -> bytes:
    """A revision that adds a free-text annotation to page 1, whether the page keeps its
    ``/Annots`` array in itself or as an indirect object."""
    from pyhanko.pdf_utils import generic

    writer = _writer(data)
    page = _first_page(writer)
    name, number = generic.NameObject, generic.NumberObject
    box = [number(v) for v in (72, 400, 300, 440)]  # type: ignore[no-untyped-call]
    annot = writer.add_object(
        generic.DictionaryObject(  # type: ignore[no-untyped-call]
            {
                name("/Type"): name("/Annot"),
                name("/Subtype"): name("/FreeText"),
                name("/Rect"): generic.ArrayObject(box),
                name("/Contents"): generic.TextStringObject(text),
                name("/DA"): generic.TextStringObject("/Helv 12 Tf 0 g"),
            }
        )
    )
    raw: Any = page.raw_get("/Annots") if "/Annots" in page else None
    if isinstance(raw, generic.IndirectObject):
        array: Any = raw.get_object()  # type: ignore[no-untyped-call]
        array.append(annot)
        writer.mark_update(raw)
    else:
        page["/Annots"] = generic.ArrayObject([*(raw or []), annot])
        writer.update_container(page)
    return _written(writer)


def change_text_field(data: bytes, value: str = "changed") -> bytes:
    """A revision that sets a new value on every text field of the form."""
    from pyhanko.pdf_utils import generic

    writer = _writer(data)
    changed = 0
    for ref in writer.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if field.get("/FT") == "/Tx":
            field["/V"] = generic.TextStringObject(value)
            writer.update_container(field)
            changed += 1
    if not changed:
        raise ValueError("the PDF has no text field to change")
    return _written(writer)


def append_junk(data: bytes) -> bytes:
    """Bytes after the last ``%%EOF`` that belong to no revision."""
    return data + JUNK


def _writer(data: bytes) -> Any:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    return IncrementalPdfFileWriter(io.BytesIO(data), strict=False)


def _first_page(writer: Any) -> Any:
    from meterai.revisions import pages

    return next(pages(writer.root["/Pages"]))


def _written(writer: Any) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
