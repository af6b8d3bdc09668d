"""Queue fresh PDFs into one data dir until killed (run by ``test_crash.py``).

Usage: ``python crash_worker.py DATA_DIR SCRATCH_DIR SEED``. Prints ``ready`` once the
outbox is open, then ``queued <id> <sha256>`` after each commit, flushed, so every line
the parent reads names a request that must survive a SIGKILL at any later moment.
"""

from __future__ import annotations

import random
import sys
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for tests.support

from meterai.intake import IntakeOptions, queue_file
from meterai.outbox.store import Outbox
from meterai.settings import resolve_paths
from tests.support.pdfs import make_pdf


def main(data_dir: str, scratch: str, seed: str) -> None:
    rng = random.Random(seed)
    paths = resolve_paths(data_dir)
    work = Path(scratch)
    work.mkdir(parents=True, exist_ok=True)
    outbox = Outbox.open(paths)
    options = IntakeOptions(doc_type="3")
    print("ready", flush=True)
    for i in count():
        # A new document every time (the noise image makes each one unique), of varying
        # size, so a kill can land in the copy, the fsync, the rename or the commit.
        source = make_pdf(work / f"{seed}-{i}.pdf", image_bytes=rng.choice((0, 50_000, 400_000)))
        accepted = queue_file(outbox, paths, source, options)
        print(f"queued {accepted.request.id} {accepted.request.doc_sha256}", flush=True)
        source.unlink()


if __name__ == "__main__":
    main(*sys.argv[1:4])
