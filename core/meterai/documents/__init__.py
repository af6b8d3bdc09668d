"""Documents before they are stamped: pre-flight, fixes, and the content-addressed store."""

from meterai.documents.errors import CannotFit, FixFailed, RepairFailed
from meterai.documents.fixes import (
    AUTOMATIC_FIXES,
    FixResult,
    apply_auto_fixes,
    apply_fixes,
    downsample_images,
    fit_to_a4,
    normalise_version,
    repair,
)
from meterai.documents.preflight import (
    Code,
    Finding,
    Fix,
    PreflightReport,
    Severity,
    preflight,
)
from meterai.documents.store import DocumentStore, StoredDocument
from meterai.documents.targets import DEFAULT_TARGET, TARGETS, Target

__all__ = [
    "AUTOMATIC_FIXES",
    "DEFAULT_TARGET",
    "TARGETS",
    "CannotFit",
    "Code",
    "DocumentStore",
    "Finding",
    "Fix",
    "FixFailed",
    "FixResult",
    "PreflightReport",
    "RepairFailed",
    "Severity",
    "StoredDocument",
    "Target",
    "apply_auto_fixes",
    "apply_fixes",
    "downsample_images",
    "fit_to_a4",
    "normalise_version",
    "preflight",
    "repair",
]
