#!/usr/bin/env bash
# The whole check, as CI runs it: lint, types, architecture contract, then the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export QT_QPA_PLATFORM=offscreen
# Everything this command installs must then be tested: no PostgreSQL or corpus skips.
export METERAI_FULL_CHECK=1
echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy --strict (core and desktop)"; .venv/bin/mypy
echo "== mypy --strict (core and desktop, as on Windows)"; .venv/bin/mypy --platform win32
echo "== import contracts"; .venv/bin/lint-imports
echo "== Windows installer (Inno Setup under Wine)"; bash packaging/windows/check-installer.sh
if [ -z "${METERAI_SKIP_BUNDLE:-}" ]; then
  # The Linux installers, built and smoke-tested from the installed files alone (about 5 min;
  # METERAI_SKIP_BUNDLE=1 leaves them out of a developer's run, never CI's).
  echo "== Linux installers (packaging/build-linux.sh, packaging/smoke-test-linux.sh)"
  bash packaging/build-linux.sh && bash packaging/smoke-test-linux.sh
else
  echo "== Linux installers: skipped (METERAI_SKIP_BUNDLE is set)"
fi
echo "== pytest"; .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
