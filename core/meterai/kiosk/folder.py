"""A customer folder's defaults: ``kiosk.json`` beside the customer's files.

Operators set a document type and a stamp position once per customer (a notary's
deeds, a school's certificates) instead of per file. An invalid file stops that
folder only, with words in both languages, because a wrong default would spend a
stamp on the wrong document type, which no retry can undo.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

from meterai.documents import AUTOMATIC_FIXES, TARGETS
from meterai.errors import InputError
from meterai.i18n import N_
from meterai.intake import IntakeOptions, check_options
from meterai.messages import Message
from meterai.outbox.store import Outbox
from meterai.placement import Rect

SETTINGS_FILE = "kiosk.json"
KEYS = ("type", "page", "rect", "target", "nilaidoc")


class FolderSettingsInvalid(InputError):
    code = "kiosk_folder_settings"
    template = N_(
        "The folder settings {path} are not valid: {detail} Nothing from this folder is "
        "taken until they are fixed."
    )


@dataclass(frozen=True)
class FolderDefaults:
    """What a file is queued with unless its folder says otherwise."""

    doc_type: str | None = None
    page: str | int = "last"
    rect: Rect | None = None
    target: str = "provider"
    nilaidoc: int | None = None

    def options(self, customer: str, out_dir: Path) -> IntakeOptions:
        if self.doc_type is None:
            raise ValueError("options() needs a document type; load_folder checks it")
        return IntakeOptions(
            doc_type=self.doc_type,
            page=self.page,
            rect=self.rect,
            nilaidoc=self.nilaidoc,
            target=self.target,
            out_dir=str(out_dir),
            customer=customer,
            fixes=AUTOMATIC_FIXES,
        )


def load_folder(folder: Path, defaults: FolderDefaults, outbox: Outbox) -> FolderDefaults:
    """The folder's defaults over the kiosk's, or ``FolderSettingsInvalid`` saying why."""
    path = folder / SETTINGS_FILE
    chosen = defaults
    if path.exists():
        chosen = _apply(defaults, _read(path), path)
    if chosen.doc_type is None:
        _invalid(
            path,
            N_('No document type: write "type" in this file, or start the kiosk with --type.'),
        )
    try:
        check_options(outbox, chosen.options(folder.name, folder))
    except InputError as exc:
        raise FolderSettingsInvalid(path=str(path), detail=exc.message()) from exc
    return chosen


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text("utf-8"))
    except UnicodeDecodeError:
        _invalid(path, N_("it is not UTF-8 text."))
    except json.JSONDecodeError as exc:
        _invalid(
            path, N_("it is not JSON (line {line}: {problem})."), line=exc.lineno, problem=exc.msg
        )
    if not isinstance(raw, dict):
        _invalid(path, N_("it must be a JSON object, like {example}."), example='{"type": "3"}')
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        _invalid(
            path,
            N_("unknown setting {names}; the known ones are {known}."),
            names=", ".join(unknown),
            known=", ".join(KEYS),
        )
    return raw


def _apply(defaults: FolderDefaults, raw: dict[str, Any], path: Path) -> FolderDefaults:
    chosen = defaults
    if "type" in raw:
        if not isinstance(raw["type"], str) or not raw["type"].strip():
            _invalid(path, N_('"type" must be a document type code such as "3".'))
        chosen = replace(chosen, doc_type=raw["type"].strip())
    if "page" in raw:
        page = raw["page"]
        if not (
            page == "last" or (isinstance(page, int) and not isinstance(page, bool) and page >= 1)
        ):
            _invalid(path, N_('"page" must be a page number from 1, or "last".'))
        chosen = replace(chosen, page=page)
    if "rect" in raw:
        chosen = replace(chosen, rect=_rect(raw["rect"], path))
    if "target" in raw:
        if raw["target"] not in TARGETS:
            _invalid(path, N_('"target" must be one of {known}.'), known=", ".join(sorted(TARGETS)))
        chosen = replace(chosen, target=raw["target"])
    if "nilaidoc" in raw:
        value = raw["nilaidoc"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            _invalid(path, N_('"nilaidoc" must be a whole number of rupiah.'))
        chosen = replace(chosen, nilaidoc=value)
    return chosen


def _rect(value: Any, path: Path) -> Rect:
    if isinstance(value, list) and all(isinstance(v, int | float) for v in value):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        _invalid(path, N_('"rect" must be four numbers in PDF points: [x1, y1, x2, y2].'))
    try:
        return Rect.parse(value)
    except InputError as exc:
        raise FolderSettingsInvalid(path=str(path), detail=exc.message()) from exc


def _invalid(path: Path, template: str, **params: str | int | float) -> NoReturn:
    raise FolderSettingsInvalid(path=str(path), detail=Message(template, params))
