"""``meterai-desk --self-test``: the core self-test, plus the Qt parts an installed copy
needs, without opening a window.

The core steps are the CLI's (``meterai.selftest``); one step is added: the stamped
result is rendered with Qt's PDF module, as the preview does, and the line of text the
test wrote must come out inked. That step is what tells a broken bundle apart (a
missing Qt platform or PDF plugin, a font Qt cannot find). The stamp itself is not
looked for in the picture: Qt's PDF module does not draw signature fields'
appearances, so the stamp is checked by verification, one step earlier. Lines go to
standard output, so CI and a support desk can read them; there is no event loop and no
widget.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QImage
from PySide6.QtPdf import QPdfDocument

from meterai.i18n import N_, _
from meterai.selftest import TEXT_RECT, StepFailed, run_self_test

# The page is rendered at this width; its line of text is then sampled for ink.
_RENDER_WIDTH = 600


def run() -> int:
    ok = run_self_test(_print, extra=[(N_("render with Qt"), render_stamped)])
    return 0 if ok else 1


def render_stamped(path: Path) -> str:
    """Render page 1 of the stamped file; the self-test's line of text must hold ink."""
    document = QPdfDocument()
    try:
        status = document.load(str(path))
        if status != QPdfDocument.Error.None_ or document.pageCount() < 1:
            raise StepFailed(
                _("Qt could not open the stamped file ({status})").format(status=status)
            )
        points = document.pagePointSize(0)
        scale = _RENDER_WIDTH / points.width()
        image = document.render(0, QSize(_RENDER_WIDTH, round(points.height() * scale)))
    finally:
        document.close()
    if image.isNull():
        raise StepFailed(_("Qt rendered an empty image"))
    if _inked_share(image, scale, TEXT_RECT) < 0.02:
        raise StepFailed(_("the page came out blank"))
    return _("page 1 rendered, {width}×{height} pixels").format(
        width=image.width(), height=image.height()
    )


def _inked_share(image: QImage, scale: float, rect: tuple[float, float, float, float]) -> float:
    """The share of painted, non-white pixels in ``rect`` (PDF points, origin bottom-left)."""
    x1, y1, x2, y2 = rect
    height = image.height()
    left, right = int(x1 * scale), int(x2 * scale)
    top, bottom = int(height - y2 * scale), int(height - y1 * scale)
    inked = total = 0
    for y in range(top, bottom, 2):
        for x in range(left, right, 2):
            total += 1
            colour = image.pixelColor(x, y)  # the page renders on a transparent background
            if colour.alpha() > 32 and colour.lightness() < 240:
                inked += 1
    return inked / total if total else 0.0


def _print(line: str) -> None:
    """A windowed program on Windows has no ``sys.stdout`` (``None``): print then writes
    nowhere, where ``sys.stdout.flush()`` raised; the exit code still tells."""
    print(line, flush=True)
