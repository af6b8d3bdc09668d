"""The corpus nobody here wrote, through add, sync --once and verify on the sandbox.

    python bench/corpus.py [--work DIR]

Fetches (once, into the git-ignored cache of ``tests/corpus/fetch.py``) the PDFs
that ship in the pinned source distributions of pikepdf and pdfminer.six, runs
every one through the real CLI against the sandbox over HTTPS on loopback, and
prints: files, refused with a message, queued, done and valid, paid but not done,
tracebacks and hangs (the last three must be 0), then every refusal grouped by
reason in both languages. Exit 1 when a must-be-0 count is not.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus.fetch import cache_dir, corpus_files
from tests.corpus.run import run_corpus


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, help="keep the run's folders here")
    args = parser.parse_args()
    files = corpus_files()
    with tempfile.TemporaryDirectory(prefix="meterai-corpus-run-") as tmp:
        work = args.work or Path(tmp)
        tally, seconds = run_corpus(files, cache_dir(), work)
    print(tally.table())
    print(f"\n{len(files)} files in {seconds:.0f} s")
    bad = tally.paid_not_done or tally.tracebacks or tally.hangs or tally.unexplained_refusals
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
