"""Fixes for what pre-flight finds: each writes a new file and never touches the original.

The original stays the user's; the fixed copy is what gets queued, and pre-flight
runs again on it, so a fix is trusted only as far as a fresh check says. Fixes that
change nothing visible (repair, normalise) run without asking; downsampling
changes how images look, so it runs only when the user asks for it.
"""

from __future__ import annotations

import dataclasses
import io
import os
import tempfile
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image

from meterai.documents import targets
from meterai.documents.errors import NOTHING_TO_COMPRESS, CannotFit
from meterai.documents.preflight import Fix, PreflightReport, preflight, reprint_advice
from meterai.documents.recovery import open_recovered
from meterai.fsutil import atomic_writer
from meterai.messages import ByteSize
from meterai.placement import Rect, page_geometries

AUTOMATIC_FIXES = frozenset(fix for fix in Fix if fix.automatic)

_LADDER: tuple[tuple[int, int | None], ...] = (
    (85, None),
    (75, None),
    (75, 2000),
    (65, 1600),
    (60, 1240),
    (50, 1000),
    (40, 800),
    (30, 800),
    (20, 800),
)
"""(JPEG quality, longest side in pixels), gentlest first.

800 px on an A4 page is about 70 dpi: the lowest at which typed text stays legible,
so the ladder stops there rather than hand over an unreadable document. Its last
steps lower the quality instead: a 20-page photographic scan (about 33 KB a page at
quality 20) needs them to fit SSCASN's 800 KB, and blocky but legible beats refused.
"""


_MIN_PIXELS = 64 * 64
"""Icons and logos: re-encoding them saves nothing and blurs them."""


@dataclass(frozen=True)
class FixResult:
    """The file to stamp, the fixes that made it, and its fresh pre-flight."""

    path: Path
    applied: tuple[Fix, ...]
    report: PreflightReport


def normalise_version(src: Path, dest: Path) -> Path:
    """Re-save as PDF 1.7, so the provider uploads our bytes instead of rewriting them."""
    _require_distinct(src, dest)
    with pikepdf.open(src) as pdf:
        _save(pdf, dest, min_version=targets.NORMALISED_VERSION)
    return dest


def repair(src: Path, dest: Path) -> Path:
    """A full rewrite through qpdf: every object written anew, a fresh cross-reference.

    Never an incremental repair: appending a corrected index would keep the flawed
    bytes a stricter reader may still trip on. Object streams are kept where the
    producer used them (every reader we ship and the provider's read them, and
    they keep the file small for a size budget) and not introduced where it did not.
    """
    _require_distinct(src, dest)
    with open_recovered(src) as pdf:
        _save(pdf, dest)
    return dest


def fit_to_a4(src: Path, dest: Path) -> Path:
    """Scale every page that is not A4 onto an A4 page the same way up, centred.

    The page's own content streams are kept byte for byte and drawn through one added
    transform (``q … cm`` before, ``Q`` after); the page boxes become A4 and
    annotations move with the content. Nothing is re-rendered, so text stays text.
    """
    _require_distinct(src, dest)
    geometries = page_geometries(src)
    with pikepdf.open(src) as pdf:
        moved: set[tuple[int, int]] = set()
        for page, geom in zip(pdf.pages, geometries, strict=True):
            unit = float(page.obj.get(pikepdf.Name.UserUnit, 1))
            box = geom.cropbox
            if not targets.is_a4(box.width * unit, box.height * unit):
                _fit_page(pdf, page, _Fit.onto_a4(box, unit), moved)
        _save(pdf, dest)
    return dest


@dataclass(frozen=True)
class _Fit:
    """Old user space to the A4 page: ``x * scale + dx``, ``y * scale + dy``."""

    scale: float
    dx: float
    dy: float
    size: tuple[float, float]

    @classmethod
    def onto_a4(cls, box: Rect, unit: float) -> _Fit:
        """The largest scale at which the visible ``box`` fits A4 the same way up, centred."""
        width, height = box.width * unit, box.height * unit
        a4w, a4h = targets.A4_PT if width <= height else targets.A4_PT[::-1]
        shrink = min(a4w / width, a4h / height)
        scale = shrink * unit
        dx = (a4w - shrink * width) / 2 - scale * box.x1
        dy = (a4h - shrink * height) / 2 - scale * box.y1
        return cls(scale, dx, dy, (a4w, a4h))

    def matrix(self) -> str:
        return " ".join(f"{v:.6f}" for v in (self.scale, 0, 0, self.scale, self.dx, self.dy))

    def points(self, values: pikepdf.Object) -> pikepdf.Array:
        """An array of x, y pairs (a /Rect, /QuadPoints, /Vertices, /L) moved with the page."""
        numbers = [float(v) for v in values]
        offsets = (self.dx, self.dy)
        return pikepdf.Array(
            [round(v * self.scale + offsets[i % 2], 4) for i, v in enumerate(numbers)]
        )


_ANNOTATION_POINTS = ("/Rect", "/QuadPoints", "/Vertices", "/L", "/CL")
_OTHER_BOXES = ("/BleedBox", "/TrimBox", "/ArtBox")


def _fit_page(pdf: pikepdf.Pdf, page: pikepdf.Page, fit: _Fit, moved: set[tuple[int, int]]) -> None:
    page.contents_add(pdf.make_stream(f"q {fit.matrix()} cm\n".encode()), prepend=True)
    page.contents_add(pdf.make_stream(b"\nQ\n"))
    a4 = pikepdf.Array([0, 0, *fit.size])
    page.obj.MediaBox = a4
    page.obj.CropBox = a4  # set here, or one inherited from the page tree would still apply
    for name in _OTHER_BOXES:
        if name in page.obj:
            page.obj[name] = fit.points(page.obj[name])
    if pikepdf.Name.UserUnit in page.obj:
        del page.obj[pikepdf.Name.UserUnit]
    for annotation in page.obj.get(pikepdf.Name.Annots, pikepdf.Array()):
        _move_annotation(annotation, fit, moved)


def _move_annotation(annotation: pikepdf.Object, fit: _Fit, moved: set[tuple[int, int]]) -> None:
    """Links, comments and fields stay over what they point at; each is moved once even
    when two pages share it."""
    if not isinstance(annotation, pikepdf.Dictionary) or annotation.objgen in moved:
        return
    if annotation.is_indirect:
        moved.add(annotation.objgen)
    for key in _ANNOTATION_POINTS:
        if isinstance(values := annotation.get(key), pikepdf.Array):
            annotation[key] = fit.points(values)
    if isinstance(ink := annotation.get("/InkList"), pikepdf.Array):
        annotation.InkList = pikepdf.Array([fit.points(stroke) for stroke in ink])


def downsample_images(src: Path, dest: Path, max_bytes: int) -> Path:
    """Re-encode images as JPEG, step by step, until the file is at most ``max_bytes``.

    Raises ``CannotFit`` when even the last step is too big. Each step is sized from
    the encoded images before anything is written, so only a step that should fit
    costs a full save.
    """
    _require_distinct(src, dest)
    size = src.stat().st_size
    with pikepdf.open(src) as pdf:
        images = {image.objgen: image for image in _reencodable_images(pdf)}
        stored = {objgen: len(image.read_raw_bytes()) for objgen, image in images.items()}
        if not stored:
            raise CannotFit(NOTHING_TO_COMPRESS, size=ByteSize(size), limit=ByteSize(max_bytes))
        other_bytes = size - sum(stored.values())
        smallest = size
        start = _first_step_that_may_fit(images, stored, max_bytes - other_bytes)
        for quality, max_side in _LADDER[start:]:
            encoded = _encode_all(images, stored, quality, max_side)
            estimate = other_bytes + sum(
                len(jpeg.data) if jpeg else stored[objgen] for objgen, jpeg in encoded.items()
            )
            smallest = min(smallest, estimate)
            if estimate <= max_bytes and _write_replaced(src, dest, encoded, max_bytes):
                return dest
    raise CannotFit(size=ByteSize(smallest), limit=ByteSize(max_bytes))


def _first_step_that_may_fit(
    images: dict[tuple[int, int], pikepdf.Stream], stored: dict[tuple[int, int], int], budget: int
) -> int:
    """The gentlest step at which the file should fit, judged by the largest image alone.

    Each step makes every image smaller than the one before, so a binary search finds
    it in three or four trial encodings of one image, where a full pass over a 20-page
    300 dpi scan costs seconds. The search only picks where to start: every step from
    there is still encoded whole and measured.
    """
    largest = max(images, key=stored.__getitem__)
    total = sum(stored.values())
    low, high = 0, len(_LADDER) - 1
    while low < high:
        mid = (low + high) // 2
        quality, max_side = _LADDER[mid]
        jpeg = _encode(images[largest], stored[largest], quality, max_side)
        shrink = len(jpeg.data) / stored[largest] if jpeg else 1.0
        if total * shrink <= budget:
            high = mid
        else:
            low = mid + 1
    return low


def _encode_all(
    images: dict[tuple[int, int], pikepdf.Stream],
    stored: dict[tuple[int, int], int],
    quality: int,
    max_side: int | None,
) -> dict[tuple[int, int], _Jpeg | None]:
    """Every image at one step, on all cores (Pillow lets go of the GIL while it codes)."""
    with ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="meterai-fit") as pool:
        jobs = {
            objgen: pool.submit(_encode, image, stored[objgen], quality, max_side)
            for objgen, image in images.items()
        }
        return {objgen: job.result() for objgen, job in jobs.items()}


def apply_fixes(
    path: Path,
    report: PreflightReport,
    workdir: Path,
    *,
    allow: Collection[Fix] = AUTOMATIC_FIXES,
) -> FixResult:
    """Apply each allowed fix the report offers, re-checking after every one.

    A fix is applied at most once: if the fresh report still offers it, it did not
    help, and the finding is left for the user to see.
    """
    current, applied = path, list[Fix]()
    while (fix := _next_fix(report, allow, applied)) is not None:
        dest = _fresh_path(workdir, f"{path.stem}.{fix}")
        try:
            _run_fix(fix, current, dest, report)
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        applied.append(fix)
        current, report = dest, preflight(dest, report.target)
    return FixResult(current, tuple(applied), _after_rewrite(report, applied))


def apply_auto_fixes(
    path: Path, report: PreflightReport, workdir: Path
) -> tuple[Path, tuple[Fix, ...]]:
    """The fixes that change no visible content: the path to stamp and what was applied."""
    result = apply_fixes(path, report, workdir)
    return result.path, result.applied


def _after_rewrite(report: PreflightReport, applied: list[Fix]) -> PreflightReport:
    """A flaw that outlives qpdf's full rewrite cannot be fixed here: say what can fix it."""
    if Fix.REPAIR not in applied:
        return report
    findings = tuple(reprint_advice() if f.fix is Fix.REPAIR else f for f in report.findings)
    return dataclasses.replace(report, findings=findings)


def _next_fix(report: PreflightReport, allow: Collection[Fix], applied: list[Fix]) -> Fix | None:
    return next((f for f in report.fixes if f in allow and f not in applied), None)


def _run_fix(fix: Fix, src: Path, dest: Path, report: PreflightReport) -> None:
    if fix is Fix.REPAIR:
        repair(src, dest)
    elif fix is Fix.NORMALISE:
        normalise_version(src, dest)
    elif fix is Fix.FIT_A4:
        fit_to_a4(src, dest)
    else:
        downsample_images(src, dest, targets.target_named(report.target).budget)


def _fresh_path(folder: Path, stem: str) -> Path:
    """Claim a new name in ``folder``, so two fixes of same-named files never collide."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{stem}.", suffix=".pdf", dir=folder)
    os.close(fd)
    return Path(name)


def _require_distinct(src: Path, dest: Path) -> None:
    """The original is never written: a caller passing it as ``dest`` has a bug."""
    if dest.exists() and src.exists() and os.path.samefile(src, dest):
        raise ValueError(f"a fix must not overwrite its source: {src}")


def _save(
    pdf: pikepdf.Pdf, dest: Path, *, min_version: str = "", max_bytes: int | None = None
) -> bool:
    """Save whole or not at all (``fsutil.atomic_writer``).

    With ``max_bytes``, a result that turns out larger is dropped (False) and
    ``dest`` is left as it was.
    """
    _keep_size_in_trailer(pdf)
    with atomic_writer(dest) as staged:
        pdf.save(
            staged.file,
            min_version=min_version,
            object_stream_mode=pikepdf.ObjectStreamMode.preserve,
            linearize=False,
        )
        fits = max_bytes is None or staged.file.tell() <= max_bytes
        if not fits:
            staged.discard()
    return fits


def _keep_size_in_trailer(pdf: pikepdf.Pdf) -> None:
    """qpdf writes the right /Size only where the trailer it holds has the key.

    A trailer qpdf rebuilt while recovering a file cut short has none, and the
    "repaired" file came out without /Size: pyHanko (what signs) refuses to read
    it, so the stamp was bought and the provider then refused the file. Any value
    will do; qpdf writes the real count in its place.
    """
    if pikepdf.Name.Size not in pdf.trailer:
        pdf.trailer.Size = 0


@dataclass(frozen=True)
class _Jpeg:
    data: bytes
    width: int
    height: int
    gray: bool


def _reencodable_images(pdf: pikepdf.Pdf) -> list[pikepdf.Stream]:
    """Every 8-bit image worth re-encoding, wherever it is used, each once.

    Masks are left alone: stencil masks are 1-bit and soft masks must keep their
    exact values, and a /Decode array would need remapping after decoding.
    """
    masks = {
        mask.objgen
        for obj in _image_streams(pdf)
        for key in (pikepdf.Name.SMask, pikepdf.Name.Mask)
        if isinstance(mask := obj.get(key), pikepdf.Stream)
    }
    return [
        image
        for image in _image_streams(pdf)
        if image.objgen not in masks
        and not image.get(pikepdf.Name.ImageMask, False)
        and image.get(pikepdf.Name.Decode) is None
        and image.get(pikepdf.Name.BitsPerComponent) == 8
        and int(image.get(pikepdf.Name.Width, 0)) * int(image.get(pikepdf.Name.Height, 0))
        >= _MIN_PIXELS
    ]


def _image_streams(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Stream]:
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream) and obj.get(pikepdf.Name.Subtype) == pikepdf.Name.Image:
            yield obj


def _encode(
    image: pikepdf.Stream, stored_size: int, quality: int, max_side: int | None
) -> _Jpeg | None:
    """The image as JPEG, or None when that is not smaller (or pikepdf cannot decode it)."""
    try:
        picture = _decoded(image, max_side)
    except (pikepdf.PikepdfError, NotImplementedError, OSError, ValueError):
        return None
    picture = picture if picture.mode in ("L", "RGB") else picture.convert("RGB")
    if max_side is not None and max(picture.size) > max_side:
        picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=quality, optimize=True)
    if buf.tell() >= stored_size:
        return None
    return _Jpeg(buf.getvalue(), picture.width, picture.height, picture.mode == "L")


def _decoded(image: pikepdf.Stream, max_side: int | None) -> Image.Image:
    """The image's pixels; a plain JPEG headed for fewer pixels is decoded at a smaller scale.

    libjpeg can decode at 1/2, 1/4 or 1/8 of the size straight from the DCT
    coefficients (Pillow's ``draft``): a 300 dpi page headed for 800 px decodes at
    1/4 in a tenth of the time, and the Lanczos step after it does the rest.
    """
    if max_side is None or not _plain_jpeg(image):
        return pikepdf.PdfImage(image).as_pil_image()
    picture = Image.open(io.BytesIO(image.read_raw_bytes()))
    width, height = picture.size
    scale = max_side / max(width, height)
    if scale < 1:
        picture.draft(picture.mode, (int(width * scale) + 1, int(height * scale) + 1))
    picture.load()
    return picture


def _plain_jpeg(image: pikepdf.Stream) -> bool:
    """A lone DCTDecode in RGB or gray: the stream is a JPEG file as it stands."""
    colour = image.get(pikepdf.Name.ColorSpace)
    return image.get(pikepdf.Name.Filter) == pikepdf.Name.DCTDecode and colour in (
        pikepdf.Name.DeviceRGB,
        pikepdf.Name.DeviceGray,
    )


def _write_replaced(
    src: Path, dest: Path, encoded: dict[tuple[int, int], _Jpeg | None], max_bytes: int
) -> bool:
    """Write ``src`` with the images replaced; keep it only if it really fits."""
    with pikepdf.open(src) as pdf:
        for objgen, jpeg in encoded.items():
            if jpeg is not None:
                _replace_image(pdf.get_object(objgen), jpeg)
        return _save(pdf, dest, max_bytes=max_bytes)


def _replace_image(stream: pikepdf.Object, jpeg: _Jpeg) -> None:
    stream.write(jpeg.data, filter=pikepdf.Name.DCTDecode, decode_parms=None)
    stream.Width = jpeg.width
    stream.Height = jpeg.height
    stream.BitsPerComponent = 8
    stream.ColorSpace = pikepdf.Name.DeviceGray if jpeg.gray else pikepdf.Name.DeviceRGB
    for key in (pikepdf.Name.DecodeParms, pikepdf.Name.Intent):
        if key in stream:
            del stream[key]
