"""Document types (jenis dokumen): the provider's list, cached for offline use.

Until the provider has been reached once, a built-in list is used, following the
document categories of the stamp-duty law (UU 10/2020) with the provider's code
style; the first successful fetch replaces it in the cache.
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
    DocType("2", "Surat Perjanjian"),
    DocType("3", "Surat Keterangan / Surat Pernyataan"),
    DocType("4a", "Akta Notaris"),
    DocType("4b", "Akta PPAT"),
    DocType("5", "Surat Berharga"),
    DocType("6", "Dokumen Transaksi Surat Berharga"),
    DocType("7", "Dokumen Lelang"),
    DocType("8", "Dokumen Penerimaan Uang (lebih dari Rp5.000.000)"),
    DocType("9", "Dokumen yang Digunakan sebagai Alat Bukti di Pengadilan"),
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


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
