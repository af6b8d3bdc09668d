"""Issue 18 item 8: with ``--lang id`` every line a command prints comes from the catalogue.

Each command (and its common mistakes) runs in this process against the pseudo-Indonesian
catalogue of tests/support/pseudo.py, where every translated word is bracketed: a word
outside the brackets (once the test's own paths and ids are set aside) is English that an
Indonesian reader would have met. ``--json`` output and the report's CSV are left out:
their keys are the contract.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from meterai.cli.context import CliContext
from meterai.cli.main import COMMAND_GROUPS, GROUPS, run
from meterai.doctypes import BUILT_IN
from meterai.outbox import State
from meterai.placement import Anchor
from meterai.sandbox import SandboxServer
from meterai.settings import Paths
from tests.support.pdfs import make_garbage, make_pdf
from tests.support.pseudo import bracketed, foreign_words, pseudo_indonesian, sentence_slips
from tests.support.sandbox import Admin, admin, client_paths, provider, row_of

__all__ = ["admin", "client_paths", "provider"]


def _run(paths: Paths, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """``meterai --lang id --data-dir ... ARGS``: all it printed, both streams."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.suppress(SystemExit):  # --help ends the parse the only way argparse knows
        run(
            ["--lang", "id", "--data-dir", str(paths.data_dir), *args],
            lambda _d: CliContext(paths=paths, out=out, err=err),
        )
    seen = capsys.readouterr()
    return out.getvalue() + err.getvalue() + seen.out + seen.err


def test_the_pseudo_catalogue_brackets_words_and_leaves_values_outside() -> None:
    assert bracketed("Permintaan {id} {state}.") == "⟦Permintaan ⟧{id} {state}⟦.⟧"
    assert foreign_words("⟦Permintaan ⟧7⟦ ⟧queued⟦.⟧") == ["queued"]
    assert foreign_words("⟦antre⟧ 7 /tmp/a b.pdf", data=["/tmp/a b.pdf"]) == []
    assert sentence_slips("⟦Versi 1.3 tersebut.⟧; ⟦Ukuran.⟧. …") == [".;", ".."]
    assert sentence_slips("⟦lalu … berhenti...⟧ 1.7") == []


# What the user types, shown as typed: the commands' names, the corners of --at.
SUBCOMMANDS = ("list", "use", "set", "set-password", "test", "serve", "account", "ledger")
SUBCOMMANDS += ("migrate", "password", "no-such-command", "one")
TYPED = (*GROUPS, *COMMAND_GROUPS, *SUBCOMMANDS)
# The provider's own names (in Indonesian already) and the profiles' names and kinds.
PROVIDERS_WORDS = ("peruri", "sandbox", "test", *(t.nama for t in BUILT_IN))


def old_and_big(path: Path) -> Path:
    """Two blocking findings for sscasn with --no-fix: PDF 1.3, and 900 KB."""
    return make_pdf(path, pages=2, version="1.3", image_bytes=900_000)


COMMANDS = (
    ("--help",),
    *((c, "--help") for c in ("add", "replace", "status", "show", "cancel", "types", "sync")),
    *((c, "--help") for c in ("retry", "recover", "verify", "profile", "sandbox", "kiosk")),
    *((c, "--help") for c in ("report", "evidence", "self-test", "outbox")),
    ("no-such-command",),
    ("add",),
    ("add", "--type", "x", "{good}"),
    ("add", "--page", "two", "{good}"),
    ("add", "--type", "3", "{missing}"),
    ("add", "--type", "3", "{garbage}"),
    ("add", "--type", "3", "--target", "sscasn", "--no-fix", "{old_and_big}"),
    ("add", "--type", "3", "{good}"),
    ("status",),
    ("show", "1"),
    ("show", "999"),
    ("show", "one"),
    ("types",),
    ("sync", "--once"),
    ("status",),
    ("show", "1"),
    ("recover",),
    ("retry", "999"),
    ("cancel", "999"),
    ("verify", "{garbage}"),
    ("report", "--format", "pdf", "--out", "{report}"),
    ("profile", "list"),
)


def test_every_command_speaks_only_the_catalogue(
    client_paths: Paths,
    admin: Admin,
    provider: SandboxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = {
        "good": str(make_pdf(tmp_path / "good.pdf")),
        "garbage": str(make_garbage(tmp_path / "garbage.pdf")),
        "missing": str(tmp_path / "missing.pdf"),
        "report": str(tmp_path / "report.pdf"),
        "old_and_big": str(old_and_big(tmp_path / "old-and-big.pdf")),
    }
    data = [*files.values(), str(tmp_path), str(client_paths.data_dir), provider.base_url]
    data += [*TYPED, *PROVIDERS_WORDS, *(a.value for a in Anchor)]
    leaks = []
    with pseudo_indonesian(monkeypatch, tmp_path / "cache"):
        for command in COMMANDS:
            args = [a.format(**files) for a in command]
            text = _run(client_paths, capsys, *args)
            words = foreign_words(text, data)
            words += sentence_slips(text)
            if words:
                lines = [line for line in text.splitlines() if set(words) & set(line.split())]
                leaks.append(f"meterai {' '.join(command)}: {words}\n" + "\n".join(lines))
    assert not leaks, "\n\n".join(leaks)
    assert row_of(client_paths, 1).state == State.DONE  # the sync and its journal were seen
