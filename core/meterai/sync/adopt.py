"""``recover --adopt SN``: take an unused serial number of the account as an orphan, on request.

Reconciliation adopts only serial numbers that carry this install's purchase tag.
One bought elsewhere on the same account (another counter, the web portal, a
reinstalled copy whose outbox is gone) carries none, and another counter may still
mean to use it: so it is never taken automatically, only when a person names it.
The provider is asked first: only a number it knows for this account and reports
unused (NOTSTAMP) is recorded, and one the outbox already knows is left alone.
"""

from __future__ import annotations

from meterai.errors import InputError
from meterai.i18n import N_
from meterai.outbox.store import Outbox
from meterai.provider.peruri import SERIAL_FORMAT
from meterai.provider.ports import Provider


class NotASerialNumber(InputError):
    code = "not_a_serial_number"
    template = N_("“{sn}” is not a serial number: they are 22 characters of A-Z and 0-9.")


class SerialNotOfAccount(InputError):
    code = "serial_not_of_account"
    template = N_("The stamping service does not know serial number {sn} for this account.")


class SerialAlreadyStamped(InputError):
    code = "serial_already_stamped"
    template = N_("Serial number {sn} was already used for a stamp; it cannot be adopted.")


class SerialAlreadyKnown(InputError):
    code = "serial_already_known"
    template = N_("Serial number {sn} is already known to this outbox; nothing to adopt.")


def adopt_serial(outbox: Outbox, provider: Provider, text: str) -> str:
    """Record ``text`` as an orphan of this outbox, or raise the reason it cannot be."""
    sn = text.strip().upper()
    if not SERIAL_FORMAT.fullmatch(sn):
        raise NotASerialNumber(sn=text.strip()[:40])
    if outbox.serial_origin(sn) is not None or outbox.serial_holder(sn) is not None:
        raise SerialAlreadyKnown(sn=sn)
    status = provider.serial_status(sn)
    if status is None:
        raise SerialNotOfAccount(sn=sn)
    if status.stamped:
        raise SerialAlreadyStamped(sn=sn)
    if not outbox.record_orphan(sn, tag=None, source="adopted"):
        raise SerialAlreadyKnown(sn=sn)
    return sn
