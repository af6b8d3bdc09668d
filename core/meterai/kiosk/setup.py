"""What an operator chose for kiosk mode: remembered in the settings, checked before it starts.

The GUI asks for these in a dialog (the CLI takes them as flags). They are checked
before the kiosk touches a file because a wrong pair of folders is not a harmless
typo: an outbox inside the inbox would be watched as a customer folder, so the
kiosk would take its own results as new documents and buy a stamp for each.

The GUI imports this module on its thread, so it loads nothing of the kiosk's engine
(watchdog, pre-flight; ``meterai.kiosk`` loads them lazily); the few calls that need
the engine import it when they run, on a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from meterai import system
from meterai.i18n import N_
from meterai.messages import Message, Param
from meterai.settings import Settings

SETTING = "kiosk"
LOW_BALANCE_SETTING = "low_balance"  # the key meterai.balance reads
CONCURRENCY_RANGE = (1, 8)
DEFAULT_CONCURRENCY = 4
# Seconds a file must stay unchanged before it is taken (``meterai kiosk --settle``): a
# scanner writing over a slow network share may need more than the default.
SETTLE_RANGE = (0.5, 600.0)
DEFAULT_SETTLE = 2.0

Field = Literal["inbox", "outbox", "rejected", "doc_type", "concurrency", "low_balance", "settle"]


@dataclass(frozen=True)
class KioskChoice:
    """The operator's answers as given: folders as typed; ``doc_type`` is ``None`` when every
    customer folder names its own (in its ``kiosk.json``), ``""`` while none is chosen."""

    inbox: str = ""
    outbox: str = ""
    doc_type: str | None = ""
    concurrency: int = DEFAULT_CONCURRENCY
    low_balance: int = 20
    settle: float = DEFAULT_SETTLE


@dataclass(frozen=True)
class KioskSetup:
    """A checked choice: absolute folders that exist, are distinct and do not nest."""

    inbox: Path
    outbox: Path
    rejected: Path
    doc_type: str | None
    concurrency: int
    low_balance: int
    settle: float = DEFAULT_SETTLE


@dataclass(frozen=True)
class Problem:
    """One reason a choice cannot start, for the field it concerns; worded when shown, so
    a language switch while the dialog is open re-words it."""

    field: Field
    template: str
    params: tuple[tuple[str, Param], ...] = ()

    @property
    def message(self) -> Message:
        return Message(self.template, dict(self.params))


# --- remembering -----------------------------------------------------------------------


def remembered(settings: Settings) -> KioskChoice:
    """The last choice, or empty answers; a damaged section reads as empty, never raises.

    Imports the kiosk engine (for the threshold rule): call it on a worker.
    """
    from meterai.balance import low_balance_threshold

    raw = settings.extra.get(SETTING)
    section: dict[str, Any] = raw if isinstance(raw, dict) else {}
    doc_type = section.get("type", "")
    concurrency = section.get("concurrency", DEFAULT_CONCURRENCY)
    settle = section.get("settle", DEFAULT_SETTLE)
    return KioskChoice(
        inbox=_text(section.get("inbox")),
        outbox=_text(section.get("outbox")),
        doc_type=doc_type if doc_type is None or isinstance(doc_type, str) else "",
        concurrency=concurrency if _whole(concurrency, *CONCURRENCY_RANGE) else DEFAULT_CONCURRENCY,
        low_balance=low_balance_threshold(settings),
        settle=float(settle) if _seconds(settle) else DEFAULT_SETTLE,
    )


def remember(settings: Settings, setup: KioskSetup) -> None:
    """Into ``settings.extra`` (saving is the caller's): older versions keep the section
    as an unknown extra, so the settings file stays readable by them."""
    settings.extra[SETTING] = {
        "inbox": str(setup.inbox),
        "outbox": str(setup.outbox),
        "type": setup.doc_type,
        "concurrency": setup.concurrency,
        "settle": setup.settle,
    }
    settings.extra[LOW_BALANCE_SETTING] = setup.low_balance


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _seconds(value: object) -> bool:
    low, high = SETTLE_RANGE
    return not isinstance(value, bool) and isinstance(value, int | float) and low <= value <= high


def _whole(value: object, low: int, high: int | None = None) -> bool:
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return value >= low and (high is None or value <= high)


# --- checking --------------------------------------------------------------------------


def check_choice(choice: KioskChoice) -> KioskSetup | tuple[Problem, ...]:
    """Every problem at once (an operator fixes them in one go), else the setup, with its
    three folders created. Touches the disk: call it on a worker."""
    problems = _check_answers(choice)
    if problems:
        return tuple(problems)
    from meterai.kiosk.service import default_rejected

    inbox = Path(choice.inbox).expanduser().resolve()
    outbox = Path(choice.outbox).expanduser().resolve()
    refused = check_layout(inbox, outbox)
    if refused:
        return refused
    return KioskSetup(
        inbox,
        outbox,
        default_rejected(inbox),
        choice.doc_type,
        choice.concurrency,
        choice.low_balance,
        float(choice.settle),
    )


def _check_answers(choice: KioskChoice) -> list[Problem]:
    problems = []
    if not choice.inbox.strip():
        problems.append(
            Problem("inbox", N_("Choose the inbox: customers' files are dropped in its folders."))
        )
    if not choice.outbox.strip():
        problems.append(
            Problem("outbox", N_("Choose the outbox: stamped files are written there."))
        )
    if choice.doc_type is not None and not choice.doc_type.strip():
        problems.append(
            Problem("doc_type", N_("Choose the document type for folders that name none."))
        )
    if not _whole(choice.concurrency, *CONCURRENCY_RANGE):
        low, high = CONCURRENCY_RANGE
        problems.append(
            Problem(
                "concurrency",
                N_("Documents at once: a number from {low} to {high}."),
                (("low", low), ("high", high)),
            )
        )
    if not _seconds(choice.settle):
        low_s, high_s = SETTLE_RANGE
        problems.append(
            Problem(
                "settle",
                N_("Wait for a file: from {low} to {high} seconds."),
                (("low", low_s), ("high", high_s)),  # worded per language: 0,5 in id
            )
        )
    if not _whole(choice.low_balance, 0):
        problems.append(
            Problem("low_balance", N_("The low-balance warning needs a whole number, 0 or more."))
        )
    return problems


def check_layout(inbox: Path, outbox: Path, rejected: Path | None = None) -> tuple[Problem, ...]:
    """The kiosk's folders (absolute; ``rejected`` ``None`` for the default beside the
    inbox), created when sound. Shared by the GUI's dialog and ``meterai kiosk`` so both
    refuse the same layouts in the same words. Nothing is created while a folder is
    misplaced or is a file, so a refused start leaves the disk as it was. Touches the
    disk: call it on a worker."""
    problems = _check_places(inbox, outbox, rejected)
    if problems:
        return tuple(problems)
    folders = _folders(inbox, outbox, rejected)
    problems = [p for field, folder in folders for p in _not_a_file(field, folder)]
    if problems:
        return tuple(problems)
    return tuple(p for field, folder in folders for p in _make_folder(field, folder))


def _folders(inbox: Path, outbox: Path, rejected: Path | None) -> tuple[tuple[Field, Path], ...]:
    if rejected is None:
        from meterai.kiosk.service import default_rejected

        return (("inbox", inbox), ("outbox", outbox), ("inbox", default_rejected(inbox)))
    return (("inbox", inbox), ("outbox", outbox), ("rejected", rejected))


def _check_places(inbox: Path, outbox: Path, rejected: Path | None) -> list[Problem]:
    """How the folders sit: one problem at a time, the first that would bite."""
    if inbox == outbox:
        return [Problem("outbox", N_("The inbox and the outbox must be two different folders."))]
    if _nested(inbox, outbox):
        return [
            Problem(
                "outbox",
                N_(
                    "The outbox must not be inside the inbox, nor the inbox inside the "
                    "outbox: the kiosk would take its own results as new documents."
                ),
            )
        ]
    if rejected is None:
        return _check_default_rejected(inbox, outbox)
    if _nested(inbox, rejected) or _nested(outbox, rejected):
        return [
            Problem(
                "rejected",
                N_(
                    "The folder for refused files, {rejected}, must be neither the inbox "
                    "nor the outbox, nor inside or around either of them."
                ),
                (("rejected", str(rejected)),),
            )
        ]
    return []


def _check_default_rejected(inbox: Path, outbox: Path) -> list[Problem]:
    """Worded for the GUI's dialog, where the rejected folder is not chosen but implied."""
    from meterai.kiosk.service import default_rejected

    rejected = default_rejected(inbox)
    if _nested(inbox, rejected):
        return [
            Problem(
                "inbox",
                N_("Refused files go to {rejected}, beside the inbox: choose another inbox."),
                (("rejected", str(rejected)),),
            )
        ]
    if _nested(outbox, rejected):
        return [
            Problem(
                "outbox",
                N_(
                    "Refused files go to {rejected}, beside the inbox: choose an outbox "
                    "that is neither that folder nor inside it or around it."
                ),
                (("rejected", str(rejected)),),
            )
        ]
    return []


def _nested(a: Path, b: Path) -> bool:
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)


def _not_a_file(field: Field, folder: Path) -> list[Problem]:
    if folder.exists() and not folder.is_dir():
        return [Problem(field, N_("{path} is a file, not a folder."), (("path", str(folder)),))]
    return []


def _make_folder(field: Field, folder: Path) -> list[Problem]:
    path = (("path", str(folder)),)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return [
            Problem(
                field,
                N_("The folder {path} cannot be created: {reason}"),
                (*path, ("reason", reason)),
            )
        ]
    if not system.folder_writable(folder):
        return [Problem(field, N_("The folder {path} cannot be written to."), path)]
    return []
