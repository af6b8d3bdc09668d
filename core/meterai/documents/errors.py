"""Failures of the document fixes.

Sizes stay typed parameters so the message shows them in the reader's number
format ("1,2 MB" in Indonesian), unlike the base class's plain ``str.format``.
"""

from __future__ import annotations

from meterai.documents.text import render
from meterai.errors import InputError
from meterai.i18n import N_, current_language


class FixFailed(InputError):
    code = "fix_failed"
    template = N_("The document could not be fixed: {detail}")

    def _format(self, text: str) -> str:
        return render(text, self.params, "en")

    def user_message(self) -> str:
        return render(self.message_id, self.params, current_language())


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
