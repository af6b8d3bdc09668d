#!/usr/bin/env bash
# Start Meterai Desk against the embedded sandbox. With no display, it runs on a virtual
# one (Xvfb) so a headless machine can still drive it; pass --offscreen to skip that.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found: running on a virtual display (xvfb-run)."
  exec xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/meterai-desk "$@"
fi
exec .venv/bin/meterai-desk "$@"
