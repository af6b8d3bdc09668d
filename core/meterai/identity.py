"""Who the stamp duty is levied on, for accounts that must name them with each stamp.

The provider's serial-number call carries an identity type, its number and a name
(``namejidentitas``, ``noidentitas``, ``namedipungut``). Most accounts send them empty;
some distributors require them. Here they are optional, but given at all they must be
given whole and well formed: a typo is caught at the form, before the request is
queued, rather than when the provider answers the paid call.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from meterai.errors import InputError
from meterai.i18n import N_

# Digits a number of each kind has: a NIK has 16; an NPWP 15, or 16 since it became the NIK.
KINDS: dict[str, tuple[int, ...]] = {"KTP": (16,), "NPWP": (15, 16)}
MAX_NAME = 100
_SEPARATORS = str.maketrans("", "", " .-")
_NAME_PUNCTUATION = frozenset(" .,'-&()/")


@dataclass(frozen=True)
class Identity:
    kind: str
    number: str
    name: str


class IdentityIncomplete(InputError):
    code = "identity_incomplete"
    template = N_("Give the identity type, its number and the name together, or none of them.")


class UnknownIdentityKind(InputError):
    code = "identity_kind"
    template = N_("Unknown identity type “{kind}”: use KTP or NPWP.")


class BadIdentityNumber(InputError):
    code = "identity_number"


class BadNik(BadIdentityNumber):
    template = N_("A KTP number (NIK) has 16 digits; “{number}” does not.")


class BadNpwp(BadIdentityNumber):
    template = N_("An NPWP has 15 or 16 digits; “{number}” does not.")


class BadIdentityName(InputError):
    code = "identity_name"
    template = N_(
        "The name must be at most {max} characters: letters, digits, spaces and . , ' - & ( ) /"
    )


_NUMBER_ERRORS: dict[str, type[BadIdentityNumber]] = {"KTP": BadNik, "NPWP": BadNpwp}


def identity_from(kind: str | None, number: str | None, name: str | None) -> Identity | None:
    """The checked identity, or None when all three are empty."""
    kind, number, name = ((v or "").strip() for v in (kind, number, name))
    if not (kind or number or name):
        return None
    if not (kind and number and name):
        raise IdentityIncomplete()
    kind = kind.upper()
    return Identity(kind, number_of(kind, number), name_of(name))


def number_of(kind: str, number: str) -> str:
    """The number as digits only, checked for its kind (a form checks it as typed)."""
    lengths = KINDS.get(kind)
    if lengths is None:
        raise UnknownIdentityKind(kind=kind)
    digits = number.strip().translate(_SEPARATORS)
    if not (digits.isascii() and digits.isdigit() and len(digits) in lengths):
        raise _NUMBER_ERRORS[kind](number=number.strip())
    return digits


def name_of(name: str) -> str:
    """A person's or a company's name: an NPWP may belong to "PT 3M Indonesia"."""
    name = " ".join(name.split())
    if len(name) > MAX_NAME or not all(_name_character(ch) for ch in name):
        raise BadIdentityName(max=MAX_NAME)
    return name


def _name_character(ch: str) -> bool:
    return ch.isalnum() or ch in _NAME_PUNCTUATION or unicodedata.category(ch) == "Mn"
