#!/usr/bin/env bash
# The whole check, as CI runs it: lint, types, architecture contract, then the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export QT_QPA_PLATFORM=offscreen
echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy --strict (core and desktop)"; .venv/bin/mypy
echo "== mypy --strict (core and desktop, as on Windows)"; .venv/bin/mypy --platform win32
echo "== import contracts"; .venv/bin/lint-imports
echo "== Windows installer (Inno Setup under Wine)"; bash packaging/windows/check-installer.sh
if [ "${CI:-}" = true ] || [ -n "${METERAI_BUNDLE_TEST:-}" ]; then
  # The Linux installers, built and smoke-tested from the installed files alone.
  echo "== Linux installers (packaging/build-linux.sh, packaging/smoke-test-linux.sh)"
  bash packaging/build-linux.sh && bash packaging/smoke-test-linux.sh
fi
echo "== pytest"; .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
