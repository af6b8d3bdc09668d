#!/usr/bin/env bash
# The smoke test of the built .deb (CI runs it after packaging/build-linux.sh):
#  1. `dpkg-deb -c` lists the .desktop file (PDF MIME type) and the icons;
#     desktop-file-validate passes on the packaged .desktop file.
#  2. On a clean Debian 12 (debootstrap'd chroot, minbase: no Python), the .deb's
#     dependencies are installed from Debian with Xvfb, then the network is cut
#     (`unshare -n`: a namespace with only loopback) and `dpkg -i` installs the .deb;
#     packaging/linux/installed-check.sh then runs `meterai-desk --self-test` under Xvfb
#     and `meterai add` / `sync --once` / `verify` from the installed files alone.
# Where a chroot cannot be had (not root, no debootstrap, no unshare), step 2 runs on
# this machine instead, from the unpacked .deb, with PATH and PYTHONPATH holding no
# Python environment: the output says which ("mode: ...").
#
#   bash packaging/smoke-test-linux.sh [dist/meterai-desk_VERSION_amd64.deb]
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
DEB=${1:-$(ls -t dist/meterai-desk_*_amd64.deb | head -n 1)}
PY=${METERAI_VENV:-.venv}/bin/python
SUITE=bookworm
MIRROR=${METERAI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Only a speed-up for the next run on the same machine; a new machine fills it.
CACHE=${METERAI_SMOKE_CACHE:-/var/cache/meterai-desk-smoke}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "smoke test FAILED: $*" >&2; exit 1; }

echo "== package contents: $DEB"
listing=$(dpkg-deb -c "$DEB")
for path in usr/share/applications/meterai-desk.desktop \
  usr/share/icons/hicolor/scalable/apps/meterai-desk.svg \
  usr/share/icons/hicolor/256x256/apps/meterai-desk.png \
  usr/bin/meterai usr/bin/meterai-desk opt/meterai-desk/meterai opt/meterai-desk/meterai-desk; do
  grep -Eq " \./$path( -> .*)?\$" <<<"$listing" || fail "$path is not in the package"
  echo "listed: /$path"
done
dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/share/applications/meterai-desk.desktop \
  >"$TMP/meterai-desk.desktop"
grep -qx 'MimeType=application/pdf;' "$TMP/meterai-desk.desktop" || fail "no PDF MIME type"
desktop-file-validate "$TMP/meterai-desk.desktop"
echo "desktop-file-validate: no errors; MimeType=application/pdf;"

# The document to stamp comes from outside, as a user's would: made here with the
# test helpers, then copied in. Nothing else of this tree reaches the installed side.
PYTHONPATH=$PWD "$PY" -c 'import sys; from pathlib import Path; from tests.support.pdfs import make_pdf
make_pdf(Path(sys.argv[1]), pages=2)' "$TMP/document.pdf"

can_chroot() {
  [ "$(id -u)" = 0 ] || return 1
  if ! command -v debootstrap >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      debootstrap >/dev/null 2>&1 || return 1
  fi
  unshare -n -m true 2>/dev/null
}

in_chroot() {
  local root=$TMP/root started_at=$SECONDS
  mkdir -p "$CACHE/debs" "$CACHE/apt"
  echo "== debootstrap --variant=minbase $SUITE"
  debootstrap --variant=minbase --cache-dir="$CACHE/debs" "$SUITE" "$root" "$MIRROR" \
    >"$TMP/debootstrap.log" 2>&1 || { tail -n 20 "$TMP/debootstrap.log"; fail "debootstrap"; }
  echo "debootstrap: $((SECONDS - started_at)) s"
  started_at=$SECONDS
  local depends
  depends=$(dpkg-deb -f "$DEB" Depends | sed -e 's/([^)]*)//g' -e 's/,/ /g')
  echo "== with network: the .deb's dependencies ($depends) and Xvfb, from Debian"
  mount --bind "$CACHE/apt" "$root/var/cache/apt/archives"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" env DEBIAN_FRONTEND=noninteractive sh -c "apt-get update -qq &&
    apt-get install -y -qq --no-install-recommends $depends xvfb xauth" >"$TMP/apt.log" 2>&1 ||
    { umount "$root/var/cache/apt/archives"; tail -n 20 "$TMP/apt.log"; fail "apt-get install"; }
  umount "$root/var/cache/apt/archives"
  echo "dependencies: $((SECONDS - started_at)) s"
  cp "$DEB" "$root/tmp/meterai-desk.deb"
  cp "$TMP/document.pdf" packaging/linux/installed-check.sh "$root/tmp/"
  echo "== network cut (unshare -n: loopback only), dpkg -i, installed checks"
  started_at=$SECONDS
  unshare -n -m sh -c '
    set -e
    ip link set lo up
    root=$1
    mount -t proc proc "$root/proc"
    mount -t tmpfs tmpfs "$root/dev/shm"
    exec chroot "$root" env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
      sh -c "dpkg -i /tmp/meterai-desk.deb && sh /tmp/installed-check.sh /tmp/document.pdf"
  ' sh "$root" || fail "installed checks in the chroot"
  echo "installed checks: $((SECONDS - started_at)) s"
}

stripped_environment() {
  local root=$TMP/unpacked
  dpkg-deb -x "$DEB" "$root"
  echo "== unpacked .deb, PATH and PYTHONPATH without any Python environment"
  env -i HOME="$TMP/home" PATH="$root/usr/bin:/usr/bin:/bin" LANG=C.UTF-8 \
    METERAI_SMOKE_HOST_PYTHON_OK=1 DISPLAY= \
    sh packaging/linux/installed-check.sh "$TMP/document.pdf" ||
    fail "installed checks (stripped environment)"
}

if [ -z "${METERAI_SMOKE_NO_CHROOT:-}" ] && can_chroot; then
  echo "mode: clean Debian 12 chroot, network cut"
  in_chroot
else
  echo "mode: this machine, PATH/PYTHONPATH stripped of every Python environment (no chroot here)"
  stripped_environment
fi
echo "smoke test passed in $((SECONDS - started)) s"
