"""The GUI's one boundary that turns failures into words (the CLI's is ``cli/errors.py``).

A ``MeteraiError`` is the user's to act on: its translated message in a dialog. Any
other exception is a bug: a short apology with the log's location, and the
traceback in the log, never in the user's face.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from meterai.errors import MeteraiError
from meterai.i18n import _

log = logging.getLogger(__name__)


def as_user_error(exc: BaseException, log_dir: str | None = None) -> BaseException:
    """A write the disk refused (read-only, full) is the user's to act on, not a bug:
    the core's one map names it; the data folder is the log folder's parent."""
    # The outbox names its database's own refusals (a MeteraiError) itself.
    if isinstance(exc, MeteraiError) or not isinstance(exc, OSError):
        return exc
    from meterai.disk import disk_error

    filename = getattr(exc, "filename", None)
    if log_dir:
        folder = Path(log_dir).parent
    elif filename:
        folder = Path(os.fsdecode(filename)).parent
    else:
        return exc
    return disk_error(exc, folder) or exc


def error_text(exc: BaseException, log_dir: str | None = None) -> str:
    exc = as_user_error(exc, log_dir)
    if isinstance(exc, MeteraiError):
        return exc.user_message()
    where = log_dir or _("the application's log folder")
    return _(
        "Something unexpected went wrong. Nothing you queued is lost. "
        "The details were written to the log in {where}."
    ).format(where=where)


def show_error(
    parent: QWidget | None, exc: BaseException, log_dir: str | None = None
) -> QMessageBox:
    """Show ``exc`` window-modally without blocking the caller (``open``, not ``exec``)."""
    exc = as_user_error(exc, log_dir)
    if not isinstance(exc, MeteraiError):
        log.error("unexpected error", exc_info=exc)
    box = QMessageBox(parent)
    box.setObjectName("errorBox")
    is_input = isinstance(exc, MeteraiError)
    box.setIcon(QMessageBox.Icon.Warning if is_input else QMessageBox.Icon.Critical)
    box.setWindowTitle(_("Meterai Desk"))
    box.setText(error_text(exc, log_dir))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
