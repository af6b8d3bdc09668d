"""Meta-tests (Datasette's ``test_docs.py``): every command has help, every error has words,
and the core never imports Qt."""

from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest

import meterai
from meterai import i18n
from meterai.cli.main import build_parser, run
from meterai.errors import MeteraiError
from tests.support.catalogue import REPO, entries, placeholders

FORBIDDEN = ("PySide6", "shiboken6", "meterai_desk")


# --- every command has help, in both languages --------------------------------------------


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], str | None, argparse.ArgumentParser]]:
    """Each (sub)command path, the help its parent lists for it, and its parser."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        for name, sub in action.choices.items():
            yield (*path, name), helps.get(name), sub
            yield from _commands(sub, (*path, name))


def _parser_in(lang: str) -> argparse.ArgumentParser:
    i18n.set_language(lang)
    return build_parser()


COMMANDS = [path for path, _help, _parser in _commands(_parser_in("en"))]


def test_the_command_tree_is_found() -> None:
    assert {("add",), ("status",), ("show",), ("cancel",), ("types",)} <= set(COMMANDS)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_exits_0_with_text(
    command: tuple[str, ...], lang: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        run(["--lang", lang, *command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.strip()
    assert f"meterai {' '.join(command)}" in out


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_command_and_every_option_have_help_in_both_languages(command: tuple[str, ...]) -> None:
    texts = {}
    for lang in i18n.LANGUAGES:
        by_path = {path: (summary, sub) for path, summary, sub in _commands(_parser_in(lang))}
        summary, sub = by_path[command]
        options = [
            (a.dest, a.help)
            for a in sub._actions
            if a.help != argparse.SUPPRESS
            and not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))
        ]
        assert summary, f"meterai {' '.join(command)} has no help line ({lang})"
        blank = [dest for dest, text in options if not text]
        assert not blank, f"meterai {' '.join(command)}: options without help ({lang}): {blank}"
        texts[lang] = [summary, *(text for _dest, text in options)]
    untranslated = [en for en, id_ in zip(texts["en"], texts["id"], strict=True) if en == id_]
    assert not untranslated, f"shown in English under --lang id: {untranslated}"


def test_the_top_level_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(["--help"])
    out = capsys.readouterr().out
    top = {path[0] for path in COMMANDS}
    assert all(name in out for name in top)
    assert "Bubuhkan e-Meterai" in out  # Indonesian by default


# --- every error has a translated template -------------------------------------------------


def _import_everything() -> None:
    for module in pkgutil.walk_packages(meterai.__path__, "meterai."):
        importlib.import_module(module.name)


def _subclasses(cls: type[MeteraiError]) -> Iterator[type[MeteraiError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


_import_everything()
ERRORS = sorted({MeteraiError, *_subclasses(MeteraiError)}, key=lambda c: c.__qualname__)


def test_the_error_tree_is_found() -> None:
    names = {c.__name__ for c in ERRORS}
    assert {"PdfRejected", "StoreCorrupt", "ProviderUnavailable", "UnknownDocType"} <= names


@pytest.mark.parametrize("error", ERRORS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_the_error_tree_has_one_root_and_no_diamonds(error: type[MeteraiError]) -> None:
    """Two bases under the root (``NoBalance(ProviderFailure, BalanceExhausted)``) meant two
    classifications that could disagree; every error now has exactly one parent in the tree."""
    parents = [b for b in error.__bases__ if issubclass(b, MeteraiError)]
    assert len(parents) == (0 if error is MeteraiError else 1), parents


@pytest.mark.parametrize("error", ERRORS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_errors_are_classified_on_one_axis(error: type[MeteraiError]) -> None:
    """``retryable`` beside ``kind`` was a second classification nothing read; what the
    engine does with a provider failure is ``ProviderError.kind``, and nothing else."""
    assert "retryable" not in vars(error)


@pytest.mark.parametrize("error", ERRORS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_error_has_a_translated_template(error: type[MeteraiError]) -> None:
    assert error.code and error.template
    translated = entries().get(error.template)
    assert translated, f"{error.__module__}.{error.__name__}: no Indonesian for {error.template!r}"
    for entry in translated:
        assert isinstance(entry.msgstr, str)
        assert placeholders(entry.msgstr) == placeholders(error.template), entry.po


# --- the core never imports Qt -------------------------------------------------------------


def test_core_imports_no_qt_statically() -> None:
    """grimp sees every import statement, also the lazy ones inside functions."""
    graph = grimp.build_graph("meterai", "meterai_desk", include_external_packages=True)
    for forbidden in FORBIDDEN:
        if forbidden not in graph.modules:
            continue
        chain = graph.find_shortest_chain(importer="meterai", imported=forbidden, as_packages=True)
        assert chain is None, f"core reaches {forbidden}: {' -> '.join(chain or ())}"


def test_core_imports_no_qt_at_run_time() -> None:
    """Dynamic imports (``__import__(f"meterai.cli.{name}")``) escape a static graph."""
    probe = (
        "import importlib, pkgutil, sys, meterai\n"
        "for m in pkgutil.walk_packages(meterai.__path__, 'meterai.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(' '.join(bad))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""


def test_the_import_linter_contract_is_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        pytest.skip("import-linter is not installed")
    done = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " kept, 0 broken." in done.stdout


# --- shared test helpers live in tests/support/ -------------------------------------------


def _foreign_conftest(path: Path, line: str) -> bool:
    """``line`` imports a conftest other than the one of ``path``'s own package."""
    words = line.split()
    if len(words) < 2 or words[0] not in {"from", "import"} or "conftest" not in words[1]:
        return False
    own = ".".join(path.relative_to(REPO).parent.parts)
    return not (words[1].startswith(".") or words[1] == f"{own}.conftest")


def test_nothing_imports_another_packages_conftest() -> None:
    """A conftest imported from elsewhere registers its fixtures twice and drags its
    package's set-up into ``bench/``: helpers shared by tests and benchmarks live in
    ``tests/support/``."""
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for folder in ("tests", "bench", "packaging")
        for path in sorted((REPO / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _foreign_conftest(path, line)
    ]
    assert offenders == []


# --- short functions ------------------------------------------------------------------------

LONGEST_FUNCTION = 60


def test_no_function_in_core_or_desktop_is_over_60_lines() -> None:
    """Issue 16: a function longer than a screen hides a second job; name it and split it."""
    long = [
        f"{path.relative_to(REPO)}:{node.lineno} {node.name} ({size} lines)"
        for folder in ("core", "desktop")
        for path in sorted((REPO / folder).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (size := (node.end_lineno or node.lineno) - node.lineno + 1) > LONGEST_FUNCTION
    ]
    assert long == []


# --- every core module with logic has a test file of its own ------------------------------

CORE = REPO / "core" / "meterai"

MIRROR_EXEMPT = {
    "kiosk/__init__.py": "a lazy re-export (__getattr__); every kiosk test imports through it",
    "outbox/__init__.py": "a lazy re-export (__getattr__); every outbox test imports through it",
    "evidence/__init__.py": "save_evidence is gather + write_bundle; evidence/test_bundle.py",
    "provider/__init__.py": "a lazy re-export (__getattr__); each provider test imports it",
}
"""Modules with logic that need no test file of their own, and why. Keep it short."""

MIRROR_OWED: set[str] = set()
"""Issue 16 item 10, not finished: modules whose behaviour is tested only through other
modules' test files. The list only shrinks: a new module comes with its test file."""


def _does_something(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """More than a docstring, ``...``, ``pass`` or ``raise NotImplementedError``: a
    ``Protocol``'s declarations and a no-op subscriber are not logic to test."""
    body = [
        statement
        for statement in function.body
        if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
        and not isinstance(statement, ast.Pass)
    ]
    return bool(body) and not (
        len(body) == 1
        and isinstance(body[0], ast.Raise)
        and "NotImplementedError" in ast.unparse(body[0])
    )


def _has_logic(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _does_something(node)
        for node in ast.walk(tree)
    )


def _test_file_for(module: Path) -> Path:
    """``core/meterai/a/b.py`` is tested in ``tests/core/a/test_b.py``; a package's own
    logic (``core/meterai/a/__init__.py``) in ``tests/core/a/test_a.py``."""
    relative = module.relative_to(CORE)
    stem = relative.parent.name if relative.stem == "__init__" else relative.stem
    return REPO / "tests" / "core" / relative.parent / f"test_{stem or 'meterai'}.py"


def _untested_modules() -> list[str]:
    return [
        module.relative_to(CORE).as_posix()
        for module in sorted(CORE.rglob("*.py"))
        if _has_logic(module) and not _test_file_for(module).exists()
    ]


def test_every_core_module_with_logic_has_its_own_test_file() -> None:
    """Issue 16 item 10: the tests mirror the package, so the next engineer finds a module's
    tests where the module is, and a module without any is seen at once."""
    missing = set(_untested_modules()) - set(MIRROR_EXEMPT) - MIRROR_OWED
    assert sorted(missing) == [], "add tests/core/<package>/test_<module>.py for these"


def test_the_mirror_lists_name_real_modules_only() -> None:
    """A renamed or deleted module must leave the lists too, or they hide the next one."""
    listed = set(MIRROR_EXEMPT) | MIRROR_OWED
    assert sorted(m for m in listed if not (CORE / m).is_file()) == []


def test_the_logic_finder_tells_a_protocol_from_code() -> None:
    ports, engine = CORE / "provider" / "ports.py", CORE / "sync" / "engine.py"
    tree = ast.parse(ports.read_text(encoding="utf-8"))
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    assert functions and not any(_does_something(f) for f in functions)
    assert _has_logic(engine) and _test_file_for(engine) == REPO / "tests/core/sync/test_engine.py"
