"""What the revisions after a signature changed, in words a user can act on.

pyHanko's difference analysis decides whether later revisions are allowed; when it
refuses them its reason reads "unexplained xrefs in revision 2: Reference(...)",
which tells an operator nothing. This module names the change instead, by comparing
the signed revision with the latest one through pyHanko's own historical view of the
file (no second parser): content added to a page, an annotation added or changed, a
form field changed, or, when none of those explains it, something else.

It only runs once a file has already failed, so it favours a clear answer over speed,
and a file too damaged to compare is reported as "another change", never an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from meterai.i18n import N_
from meterai.messages import Message

Key = tuple[int, int]

_MAX_PAGES = 10_000
_MAX_TREE_DEPTH = 64


@dataclass(frozen=True)
class Change:
    """One change: ``kind`` is a stable code for scripts, ``message`` the words for people."""

    kind: str
    message: Message


def describe_changes(reader: Any, signed_revision: int, diff: Any) -> tuple[Change, ...]:
    """Each change after ``signed_revision``, content first, then annotations and fields.

    ``diff`` is pyHanko's verdict (a ``DiffResult`` or a ``SuspiciousModification``).
    When pyHanko explained the change as form filling, its list of fields is the answer;
    otherwise the pages of the signed and the latest revision are compared as well.
    """
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign.diff_analysis import ModificationLevel

    found: list[Change] = []
    level = getattr(diff, "modification_level", ModificationLevel.OTHER)
    try:
        changed = _changed_refs(reader, signed_revision)
        if level != ModificationLevel.FORM_FILLING:
            found += _page_changes(reader, signed_revision, changed)
        found += _field_changes(reader, changed, diff)
    except (PdfError, KeyError, TypeError, ValueError, AttributeError, RecursionError):
        pass
    if not found:
        detail = {"detail": _reason(diff)}
        found.append(Change("other", Message(N_("another change ({detail})"), detail)))
    unique = {change.message.to_json(): change for change in found}
    return tuple(unique.values())


def _changed_refs(reader: Any, signed_revision: int) -> set[Key]:
    """Objects written by any revision after the signed one."""
    xrefs = reader.xrefs
    return {
        (ref.idnum, ref.generation)
        for revision in range(signed_revision + 1, xrefs.total_revisions)
        for ref in xrefs.explicit_refs_in_revision(revision)
    }


def _page_changes(reader: Any, signed_revision: int, changed: set[Key]) -> Iterator[Change]:
    old_pages = list(pages(reader.get_historical_resolver(signed_revision).root["/Pages"]))
    for index, page in enumerate(pages(reader.root["/Pages"])):
        old = old_pages[index] if index < len(old_pages) else None
        number = index + 1
        if old is None or _contents_changed(old, page, changed):
            yield Change("content", Message(N_("content added to page {page}"), {"page": number}))
        if _annotations_changed(old, page, changed):
            added = Message(N_("an annotation added or changed on page {page}"), {"page": number})
            yield Change("annotation", added)


def _contents_changed(old: Any, new: Any, changed: set[Key]) -> bool:
    before, after = _content_keys(old), _content_keys(new)
    return before != after or any(key in changed for key in after)


def _content_keys(page: Any) -> list[Key]:
    """The streams a page draws, as references (an indirect array counts as one too)."""
    raw = page.raw_get("/Contents") if "/Contents" in page else None
    refs = [raw, *array_at(page, "/Contents")]
    return [k for k in map(_key, refs) if k is not None]


def _annotations_changed(old: Any, new: Any, changed: set[Key]) -> bool:
    """A new entry in ``/Annots``, or an annotation rewritten that is not a form field's
    widget (a field's new value is reported as the field, not as an annotation)."""
    before = set(annotation_keys(old)) if old is not None else set[Key]()
    after = annotation_keys(new)
    rewritten = [ref for ref in annotations_of(new) if _key(ref) in changed]
    return bool(set(after) - before) or any(not _is_field(ref.get_object()) for ref in rewritten)


def _is_field(obj: Any) -> bool:
    return isinstance(obj, dict) and ("/FT" in obj or "/Parent" in obj)


def annotation_keys(page: Any) -> list[Key]:
    """The page's annotations by reference, whether ``/Annots`` is direct or indirect."""
    return [k for k in map(_key, annotations_of(page)) if k is not None]


def annotations_of(page: Any) -> list[Any]:
    """The entries of a page's ``/Annots``, resolving the array if it is an indirect object.

    Real PDFs store the array either in the page or as an object of its own; reading it
    with ``page.get("/Annots")`` yields a reference in the second case, and iterating that
    once stopped every request behind it (issue 13, item 4).
    """
    return array_at(page, "/Annots")


def array_at(container: Any, key: str) -> list[Any]:
    """``container[key]`` as a list of its raw entries, or ``[]`` if absent or no array.

    Not ``container.get(key)``: pyHanko's dictionaries resolve references only through
    ``[]``, and ``get`` hands back the reference itself when the array is indirect.
    """
    if key not in container:
        return []
    value = container.raw_get(key).get_object()
    return list(value) if isinstance(value, list) else []


def _field_changes(reader: Any, changed: set[Key], diff: Any) -> Iterator[Change]:
    names = set(getattr(diff, "changed_form_fields", ()) or ())
    for idnum, generation in sorted(changed):
        obj = reader.get_object(_reference(reader, idnum, generation))
        if isinstance(obj, dict) and "/FT" in obj and obj.get("/FT") != "/Sig":
            names.add(str(obj.get("/T", "?")))
    for name in sorted(names):
        yield Change("form_field", Message(N_("form field {name} changed"), {"name": name}))


def _reference(reader: Any, idnum: int, generation: int) -> Any:
    from pyhanko.pdf_utils.generic import Reference

    return Reference(idnum, generation, pdf=reader)


def pages(node: Any, depth: int = 0) -> Iterator[Any]:
    """A page tree's pages in order; a tree deeper than any real one is refused, not followed."""
    if depth > _MAX_TREE_DEPTH:
        raise RecursionError("page tree too deep or circular")
    node = node.get_object()
    if node.get("/Type") == "/Pages" or "/Kids" in node:
        for kid in list(node["/Kids"])[:_MAX_PAGES]:
            yield from pages(kid, depth + 1)
    else:
        yield node


def _key(value: Any) -> Key | None:
    from pyhanko.pdf_utils.generic import IndirectObject

    if isinstance(value, IndirectObject):
        return (value.idnum, value.generation)
    return None


def _reason(diff: Any) -> str:
    """pyHanko's own words, first line only: the rest lists object numbers."""
    text = str(diff) if diff is not None else ""
    return (text.strip().splitlines() or ["?"])[0][:200]
