"""Document types (jenis dokumen): the provider's list, cached for offline use.

The code (``kode``) is what the paid call sends as ``namadoc``; the name is what the
user chose. Until the provider has been reached once, the built-in list below is used;
the first successful fetch replaces it in the cache and from then on the provider's
list wins. A code means what the provider says it means *now*: a request whose code
has changed meaning since it was queued is held with a question before anything is
bought (see ``type_question``), because the code and the name can disagree, and did:
an earlier built-in list called ``4a`` "Akta Notaris" where the provider's ``4a`` is
"Surat Pernyataan".

The built-in list is the one the sandbox serves as the provider's (``sandbox/app.py``
takes it from here). Peruri publishes no table of its codes; public integrations fetch
``GET /jenisdoc`` at run time, so what they hard-code is partial. Where each entry
stands (repository and path of the public code seen):

======  ==========================  ====================================================
kode    nama                        evidence
======  ==========================  ====================================================
2       Surat Perjanjian            name: rizal17dps/dimensy public/json/dimensy.json
                                    (a distributor's DocumentTypes example). Code: none
                                    public; swasanaweddingpusat/swasana-project
                                    docs/superpowers/specs/2026-05-17-ematerai-booking-
                                    design.md sends ``"3"`` commented "Surat Perjanjian",
                                    which contradicts this row: the case the hold is for.
3       Surat Keterangan            name: UU 10/2020 Pasal 3(2)(a) ("surat keterangan,
                                    surat pernyataan"); code: not found in public code.
4a      Surat Pernyataan            name: UU 10/2020 Pasal 3(2)(a); code: issue 15's
                                    observation of the provider's list.
4b      Surat Kuasa                 code: the value of Peruri's published request example,
                                    copied by MuhammadRakhaIFCA/backend
                                    src/peruri/peruri.service.ts (``namadoc: '4b'``);
                                    name: not found in public code.
5       Dokumen Transaksi           name: rizal17dps/dimensy public/json/dimensy.json.
6       Akta Notaris                name: rizal17dps/dimensy public/json/dimensy.json;
                                    code: issue 15's observation of the provider's list.
7       Dokumen Lelang              name: rizal17dps/dimensy public/json/dimensy.json.
8       Surat Berharga              name: rizal17dps/dimensy public/json/dimensy.json.
9       Dokumen Lain-lain           name: rizal17dps/dimensy public/json/dimensy.json
                                    and its app/Http/Controllers/Api/MeteraiController.php
                                    (the fallback type).
======  ==========================  ====================================================

Codes 2, 3, 5 and 7-9 are therefore not confirmed by public code: that is why the
provider's list wins as soon as it is fetched and why a drifted code is never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

CACHE_KEY = "jenisdoc"


@dataclass(frozen=True)
class DocType:
    kode: str
    nama: str
    id: str | None = None


BUILT_IN: tuple[DocType, ...] = (
    DocType("2", "Surat Perjanjian", "1"),
    DocType("3", "Surat Keterangan", "2"),
    DocType("4a", "Surat Pernyataan", "3"),
    DocType("4b", "Surat Kuasa", "4"),
    DocType("5", "Dokumen Transaksi", "5"),
    DocType("6", "Akta Notaris", "6"),
    DocType("7", "Dokumen Lelang", "7"),
    DocType("8", "Surat Berharga", "8"),
    DocType("9", "Dokumen Lain-lain", "9"),
)


class Cache(Protocol):
    def cache_get(self, key: str) -> object | None: ...


def cached_types(cache: Cache) -> tuple[tuple[DocType, ...], bool]:
    """The cached list and whether it came from the provider (False: the built-in one)."""
    raw = cache.cache_get(CACHE_KEY)
    if isinstance(raw, list) and raw:
        parsed = tuple(
            DocType(kode=str(item["kode"]), nama=str(item["nama"]), id=_opt(item.get("id")))
            for item in raw
            if isinstance(item, dict) and "kode" in item and "nama" in item
        )
        if parsed:
            return parsed, True
    return BUILT_IN, False


def find(types: tuple[DocType, ...], kode: str) -> DocType | None:
    wanted = kode.strip().lower()
    return next((t for t in types if t.kode.lower() == wanted), None)


def name_for(cache: Cache, kode: str) -> str | None:
    """The name the user sees for ``kode`` now (the cached list, or the built-in one)."""
    types, _from_provider = cached_types(cache)
    found = find(types, kode)
    return found.nama if found else None


def same_name(a: str, b: str) -> bool:
    """Names compared as a person reads them: case and spacing do not change a meaning."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@dataclass(frozen=True)
class TypeDrift:
    """A queued request's code no longer means what the user chose (``now`` is the
    provider's current name for the code, ``None`` when the provider dropped the code)."""

    kode: str
    queued_as: str
    now: str | None


def type_question(cache: Cache, kode: str, queued_as: str | None) -> TypeDrift | None:
    """Whether a request queued as (``kode``, ``queued_as``) must be asked about before
    its code is sent; only the provider's own list can say a meaning changed."""
    types, from_provider = cached_types(cache)
    if not from_provider or queued_as is None:
        return None
    current = find(types, kode)
    if current is not None and same_name(current.nama, queued_as):
        return None
    return TypeDrift(kode=kode, queued_as=queued_as, now=current.nama if current else None)


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
