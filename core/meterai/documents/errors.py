"""Failures of the document fixes.

Sizes are ``ByteSize`` parameters, so the message shows them in the reader's number
format ("1,2 MB" in Indonesian).
"""

from __future__ import annotations

from meterai.errors import InputError
from meterai.i18n import N_


class FixFailed(InputError):
    code = "fix_failed"
    template = N_("The document could not be fixed: {detail}")


class RepairFailed(FixFailed):
    code = "repair_failed"
    template = N_(
        "The PDF is too damaged to repair without losing content. Export or scan the "
        "document again and add the new file."
    )


class CannotFit(FixFailed):
    code = "cannot_fit"
    template = N_(
        "Even with its images compressed as far as they stay readable, the file would "
        "be {size}, more than the {limit} allowed."
    )


NOTHING_TO_COMPRESS = N_(
    "The file is {size}, more than the {limit} allowed, and it has no images that "
    "can be compressed."
)
