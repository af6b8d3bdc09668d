"""``meterai add``: pre-flight files and queue the good ones; never queue a bad one."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meterai import disk
from meterai.batch import read_batch
from meterai.cli.context import CliContext
from meterai.cli.errors import EXIT_OK, EXIT_REJECTED, describe, error_json, finding_json
from meterai.documents import AUTOMATIC_FIXES, TARGETS, Code, Fix
from meterai.errors import InputError, UsageError
from meterai.i18n import _
from meterai.identity import identity_from
from meterai.intake import Accepted, IntakeOptions, check_options, queue_files, replace_file
from meterai.overlap import COVERS
from meterai.placement import Anchor, Rect, Spot

if TYPE_CHECKING:
    from meterai.cli.context import Subparsers


def register(sub: Subparsers) -> None:
    parser = sub.add_parser("add", help=_("pre-flight PDF files and queue them for stamping"))
    parser.add_argument("files", nargs="*", metavar="FILE", help=_("PDF files to stamp"))
    parser.add_argument(
        "--batch",
        metavar="FILE.csv",
        help=_("a CSV with columns file, type, page, rect, nodoc, tgldoc; all checked first"),
    )
    parser.add_argument(
        "--type",
        dest="doc_type",
        metavar="KODE",
        help=_("document type code (see: meterai types)"),
    )
    parser.add_argument("--page", default="last", help=_("page number from 1, or 'last'"))
    add_spot_arguments(parser)
    parser.add_argument("--nodoc", help=_("document number"))
    parser.add_argument("--tgldoc", metavar="YYYY-MM-DD", help=_("document date"))
    parser.add_argument("--nilaidoc", type=int, help=_("document value in rupiah"))
    parser.add_argument("--out", metavar="DIR", help=_("where to save the stamped files"))
    parser.add_argument(
        "--id-type",
        metavar="KTP|NPWP",
        help=_("identity of the party the duty is levied on, if your account needs it"),
    )
    parser.add_argument("--id-number", metavar="NUMBER", help=_("the NIK or NPWP"))
    parser.add_argument("--id-name", metavar="NAME", help=_("the name on that identity"))
    parser.add_argument(
        "--target",
        choices=sorted(TARGETS),
        default="provider",
        help=_("size budget to fit, e.g. sscasn (800 KB, A4)"),
    )
    parser.add_argument(
        "--no-fix",
        action="store_true",
        help=_("refuse documents that need a fix instead of fixing a copy"),
    )
    parser.add_argument(
        "--downsample",
        action="store_true",
        help=_("also allow shrinking images to fit the size budget"),
    )
    register_overlap(parser)
    parser.add_argument(
        "--again",
        action="store_true",
        help=_("stamp a document that is already queued or stamped once more (buys a stamp)"),
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help=_("one JSON object per file, on a line of its own (JSON Lines), instead of words"),
    )
    parser.set_defaults(func=run)
    register_replace(sub)


def register_overlap(parser: argparse.ArgumentParser) -> None:
    """What to do when the stamp would hide something (``meterai.overlap``)."""
    parser.add_argument(
        "--place",
        choices=("keep", "auto"),
        default="keep",
        help=_(
            "keep: the stamp goes where --rect (or the default) puts it, with a warning if it "
            "would hide text, a picture, drawing, a signature or a form field; auto: moved to "
            "the nearest free spot of the same size on that page"
        ),
    )
    parser.add_argument(
        "--strict-placement",
        action="store_true",
        help=_("refuse a file whose stamp would hide something, instead of warning"),
    )


def register_replace(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "replace",
        help=_(
            "give a request the stamping service refused a corrected document; "
            "it keeps its serial number"
        ),
    )
    parser.add_argument("id", type=int, help=_("request id"))
    parser.add_argument("file", metavar="FILE", help=_("the corrected PDF"))
    parser.add_argument("--page", help=_("page number from 1, or 'last' (default: as before)"))
    add_spot_arguments(parser, default=_("as before"))
    parser.add_argument(
        "--target",
        choices=sorted(TARGETS),
        default="provider",
        help=_("size budget to fit, e.g. sscasn (800 KB, A4)"),
    )
    parser.set_defaults(func=run_replace)


def add_spot_arguments(parser: argparse.ArgumentParser, default: str = "bottom-right") -> None:
    """``--rect`` and ``--at``: where the stamp goes, in the page as the user sees it."""
    spot = parser.add_mutually_exclusive_group()
    spot.add_argument(
        "--rect",
        metavar="X1,Y1,X2,Y2",
        help=_(
            "stamp rectangle in points on the page as shown, measured from its top-left "
            "corner (x to the right, y down), whatever the page's rotation or crop"
        ),
    )
    spot.add_argument(
        "--at",
        choices=[str(anchor) for anchor in Anchor],
        help=_(
            "put the stamp at a corner or the centre of the page as shown (default: {at})"
        ).format(at=default),
    )


def _spot(args: argparse.Namespace) -> Spot | None:
    if args.rect:
        return Spot(shown=Rect.parse(args.rect))
    return Spot(at=Anchor(args.at)) if args.at else None


def _page(text: str) -> str | int:
    if text == "last":
        return text
    try:
        return int(text)
    except ValueError as exc:
        raise UsageError(_("--page takes a page number from 1, or 'last'.")) from exc


def _options(args: argparse.Namespace) -> IntakeOptions:
    fixes: set[Fix] = set() if args.no_fix else set(AUTOMATIC_FIXES)
    if args.downsample and not args.no_fix:
        fixes.add(Fix.DOWNSAMPLE)
    page = _page(args.page)
    out = str(Path(args.out).expanduser().resolve()) if args.out else None
    return IntakeOptions(
        doc_type=args.doc_type or "",
        page=page,
        spot=_spot(args),
        nodoc=args.nodoc,
        tgldoc=args.tgldoc,
        nilaidoc=args.nilaidoc,
        out_dir=out,
        target=args.target,
        fixes=frozenset(fixes),
        identity=identity_from(args.id_type, args.id_number, args.id_name),
        again=args.again,
        auto_place=args.place == "auto",
        strict_placement=args.strict_placement,
    )


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    # Each document is copied into the data folder: that much room, plus the outbox's.
    files = [Path(f) for f in args.files]
    with disk.mapped(ctx.paths.data_dir, needed=lambda: disk.size_of(files)):
        return _run(args, ctx)


def _run(args: argparse.Namespace, ctx: CliContext) -> int:
    options = _options(args)
    outbox = ctx.outbox()
    if args.batch:
        if args.files:
            raise UsageError(_("Give either FILE arguments or --batch, not both."))
        lines = read_batch(Path(args.batch), options, outbox)
        return _queue_all(ctx, [(line.path, line.options) for line in lines], as_json=args.json)
    if not args.files or not args.doc_type:
        raise UsageError(_("Give the files to stamp and --type (or --batch FILE.csv)."))
    check_options(outbox, options)
    return _queue_all(ctx, [(Path(name), options) for name in args.files], as_json=args.json)


# Files are stored and committed in groups: one folder fsync and one transaction per
# group (the fsyncs dominate small files), while "queued" lines still come steadily.
GROUP = 50


def _queue_all(
    ctx: CliContext, work: list[tuple[Path, IntakeOptions]], *, as_json: bool = False
) -> int:
    outbox = ctx.outbox()
    rejected = 0
    for start in range(0, len(work), GROUP):
        group = work[start : start + GROUP]
        for (path, _options), result in zip(
            group, queue_files(outbox, ctx.paths, group), strict=True
        ):
            if as_json:
                rejected += isinstance(result, InputError)
                ctx.emit(add_json(path, result))
            elif isinstance(result, InputError):
                rejected += 1
                ctx.warn(describe(result))
            else:
                _report(ctx, path, result)
    return EXIT_REJECTED if rejected else EXIT_OK


def _report(ctx: CliContext, path: Path, accepted: Accepted) -> None:
    for fix in accepted.applied:
        ctx.warn(
            _("{file}: fixed a copy ({fix}); the original is untouched.").format(
                file=path.name, fix=_(fix_label(fix))
            )
        )
    for finding in accepted.warnings:
        ctx.warn(f"{path.name}: {finding.message.text()}")
    codes = {f.code for f in accepted.warnings}
    if codes & set(COVERS) and Code.NO_FREE_SPOT not in codes:
        ctx.warn(
            _(
                "{file}: queued all the same. --place auto moves such a stamp to a free spot; "
                "--strict-placement refuses the file instead."
            ).format(file=path.name)
        )
    ctx.print(_("queued {id} {file}").format(id=accepted.request.id, file=path))


def add_json(path: Path, result: Accepted | InputError) -> dict[str, Any]:
    """One file's outcome for ``add --json``: a script decides on ``queued`` and the ids
    (``warnings[].id``, ``error.id``), and may show the ``message`` words to a person."""
    body: dict[str, Any] = {"file": str(path), "queued": False, "id": None, "state": None}
    if isinstance(result, InputError):
        empty: dict[str, Any] = {"page": None, "rect": None, "fixes": [], "warnings": []}
        return {**body, **empty, "error": error_json(result)}
    row = result.request
    return {
        **body,
        "queued": True,
        "id": row.id,
        "state": str(row.state),
        "page": row.page_index + 1,
        "rect": list(row.rect),
        "fixes": [str(fix) for fix in result.applied],
        "warnings": [finding_json(f.code, f.message.text()) for f in result.warnings],
        "error": None,
    }


def run_replace(args: argparse.Namespace, ctx: CliContext) -> int:
    accepted = replace_file(
        ctx.outbox(),
        ctx.paths,
        args.id,
        Path(args.file),
        page=None if args.page is None else _page(args.page),
        spot=_spot(args),
        target=args.target,
    )
    row = accepted.request
    for fix in accepted.applied:
        ctx.warn(
            _("{file}: fixed a copy ({fix}); the original is untouched.").format(
                file=row.file_name, fix=_(fix_label(fix))
            )
        )
    ctx.print(
        _("replaced {id}: {file} will be stamped with serial number {sn}").format(
            id=row.id, file=row.file_name, sn=row.sn
        )
    )
    return EXIT_OK


def fix_label(fix: Fix) -> str:
    from meterai.i18n import N_

    labels = {
        Fix.REPAIR: N_("rebuilt the damaged structure"),
        Fix.NORMALISE: N_("saved as PDF 1.7"),
        Fix.FIT_A4: N_("fitted the pages to A4, scaled and centred"),
        Fix.DOWNSAMPLE: N_("shrank the images"),
    }
    return labels[fix]
