"""X.509 names prepared once per distinct value, not once per stamp checked.

pyHanko finds a stamp's signer among the certificates the CMS carries by comparing
X.509 names (issuer and serial, the ESS certificate ids), and asn1crypto compares names
the RFC 5280 way: each attribute value goes through RFC 4518's string preparation
(``NameTypeAndValue._ldap_string_prep``: the stringprep tables, NFKC, case folding;
about 60 us a value), cached on the parsed value. Every stamp is a fresh parse of the
same provider's few certificates, so each document prepared the same dozen strings
again: a fifth of verifying a stamp, 2-3 ms of the 40 ms of CPU a counter spends on a
document (sampled with py-spy under ``bench/counters.py``).

The preparation reads nothing but its string argument, so its result is kept per
string, in a bounded cache. Equality, its errors (a prohibited character raises as
before, and is not cached) and asn1crypto's own per-object cache are unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

_KEPT = 4096  # distinct attribute values; a provider's chain has a few dozen

Prep = Callable[[Any, str], str]


def install() -> bool:
    """Put the per-string cache in front of asn1crypto's preparation; False if asn1crypto
    changed shape (it then keeps its own: slower, never different). Safe to repeat."""
    from asn1crypto import x509

    current = getattr(x509.NameTypeAndValue, "_ldap_string_prep", None)
    if getattr(current, "_meterai_cached", False):
        return True
    if not callable(current) or getattr(current, "__module__", "") != x509.__name__:
        return False
    x509.NameTypeAndValue._ldap_string_prep = cached_prep(current)
    return True


def cached_prep(original: Prep) -> Prep:
    """``original`` (a method that ignores its instance) memoised on its string."""

    @functools.lru_cache(maxsize=_KEPT)
    def prepared(string: str) -> str:
        return original(None, string)

    @functools.wraps(original)
    def _ldap_string_prep(self: Any, string: str) -> str:
        return prepared(string)

    _ldap_string_prep._meterai_cached = True  # type: ignore[attr-defined]
    return _ldap_string_prep
