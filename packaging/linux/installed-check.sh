#!/bin/sh
# Run on a machine where the .deb is installed (the smoke test runs it in a clean
# Debian 12 chroot): the installed files alone must work, with no Python of any kind.
#
#   sh installed-check.sh DOCUMENT.pdf
#
# Prints one line per step; exits non-zero at the first step that fails.
set -eu
document=$1
# Where the bundle is: /opt/meterai-desk, or under the folder the .deb was unpacked into.
installed=$(dirname "$(readlink -f "$(command -v meterai-desk)")")
step() { echo "-- $*"; }

step "no Python on this system"
for name in python3 python; do
  if command -v "$name" >/dev/null 2>&1; then
    if [ -z "${METERAI_SMOKE_HOST_PYTHON_OK:-}" ]; then
      echo "a Python was found: $(command -v "$name")" >&2
      exit 1
    fi
    echo "($name is on this host; PATH and PYTHONPATH hold no Python environment)"
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export METERAI_HOME="$work/data" METERAI_CACHE_DIR="$work/cache"

step "meterai-desk --self-test on the X server (xcb platform)"
QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1280x800x24" meterai-desk --self-test

step "meterai self-test, English, with no locale set"
env -u LANG -u LC_ALL meterai --lang en self-test

step "meterai add / sync --once / verify"
cp "$document" "$work/surat.pdf"
meterai add "$work/surat.pdf" --type 3
meterai sync --once
meterai status
meterai verify "$work/surat-emeterai.pdf"

step "meterai evidence and the day report as PDF (the printed layout, fpdf2, is bundled)"
meterai evidence 1 --out "$work/bukti.zip"
meterai report --format pdf --offline --out "$work/hari-ini.pdf"

step "the window opens and starts its sandbox child from the bundle"
# The processes running a program, found by /proc/PID/exe (no ps in a minimal system).
pids_of() {
  for exe in /proc/[0-9]*/exe; do
    [ "$(readlink "$exe" 2>/dev/null)" = "$1" ] && basename "$(dirname "$exe")"
  done
  return 0
}
xvfb-run -a -s "-screen 0 1280x800x24" meterai-desk --data-dir "$work/gui" &
launcher=$!
tries=0
while [ -z "$(pids_of "$installed"/meterai)" ] && [ $tries -lt 60 ]; do
  sleep 1
  tries=$((tries + 1))
done
gui=$(pids_of "$installed"/meterai-desk)
child=$(pids_of "$installed"/meterai)
if [ -z "$gui" ] || [ -z "$child" ]; then
  echo "the window or its sandbox child did not start (window: ${gui:-none})" >&2
  exit 1
fi
echo "window running (pid $gui), its sandbox child running (pid $child) after ${tries} s"

step "a second launch with a file (\"Open with\") hands it to the window and exits"
# No display needed: it only hands over. timeout: were it to fail, it would show a dialog.
QT_QPA_PLATFORM=offscreen timeout 60 meterai-desk --data-dir "$work/gui" "$work/surat.pdf"
windows=$(pids_of "$installed"/meterai-desk | wc -l)
tries=0
while ! grep -q "handed over 1 file" "$work/gui/logs/meterai.log" && [ $tries -lt 20 ]; do
  sleep 1
  tries=$((tries + 1))
done
if [ "$windows" != 1 ] || ! grep -q "handed over 1 file" "$work/gui/logs/meterai.log"; then
  echo "the file was not handed to the running window ($windows windows)" >&2
  exit 1
fi
echo "one window, and it took the file"
kill -TERM $gui
wait "$launcher" || true
tries=0
while [ -n "$(pids_of "$installed"/meterai)" ] && [ $tries -lt 15 ]; do
  sleep 1
  tries=$((tries + 1))
done
if [ -n "$(pids_of "$installed"/meterai)" ]; then
  echo "the sandbox child outlived the window" >&2
  exit 1
fi
step "all installed checks passed"
