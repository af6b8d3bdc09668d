#!/usr/bin/env bash
# Build the Linux installers: the one-folder PyInstaller bundle, then
#   dist/meterai-desk_<version>_amd64.deb          (installs under /opt/meterai-desk)
#   dist/meterai-desk-<version>-linux-x86_64.tar.gz (the same folder, to unpack anywhere)
# Installs what it needs first, like the other scripts (bootstrap.sh, then PyInstaller
# from the project's `bundle` extra). Prints the time taken and the sizes.
#
#   bash packaging/build-linux.sh
#
# METERAI_VENV=PATH builds with an existing environment instead (bootstrap is skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

if [ -n "${METERAI_VENV:-}" ]; then
  VENV=$METERAI_VENV
else
  bash scripts/bootstrap.sh
  VENV=.venv
fi
PY=$VENV/bin/python
if [ "$(id -u)" = 0 ] && ! command -v desktop-file-validate >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    desktop-file-utils >/dev/null
fi
# PyInstaller, as the `bundle` extra of pyproject.toml pins it.
"$PY" - <<'EOF' | xargs "$PY" -m pip install -q
import tomllib
with open("pyproject.toml", "rb") as fh:
    print("\n".join(tomllib.load(fh)["project"]["optional-dependencies"]["bundle"]))
EOF
VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')

WORK=build/bundle
rm -rf "$WORK" && mkdir -p "$WORK" dist
echo "== PyInstaller (one folder)"
# PYTHONPATH is this tree's: the bundle holds this checkout's code whatever the venv points at.
PYTHONPATH=$PWD/core:$PWD/desktop METERAI_BUNDLE_WORK=$PWD/$WORK QT_QPA_PLATFORM=offscreen \
  "$PY" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$WORK/dist" --workpath "$WORK/work" packaging/meterai-desk.spec
BUNDLE=$WORK/dist/meterai-desk

# Our own Python's library and extension modules carry debug information (the wheels'
# libraries are already stripped, and stripping those could break their patched headers).
find "$BUNDLE" -type f -name '*.so*' -print0 |
  xargs -0 file | grep 'with debug_info' | cut -d: -f1 |
  xargs -r strip --strip-unneeded

echo "== package tree"
STAGE=$WORK/deb
install -d "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/DEBIAN" \
  "$STAGE/usr/share/applications" \
  "$STAGE/usr/share/icons/hicolor/scalable/apps" "$STAGE/usr/share/icons/hicolor/256x256/apps"
cp -a "$BUNDLE" "$STAGE/opt/meterai-desk"
ln -s ../../opt/meterai-desk/meterai "$STAGE/usr/bin/meterai"
ln -s ../../opt/meterai-desk/meterai-desk "$STAGE/usr/bin/meterai-desk"
install -m 644 packaging/linux/meterai-desk.desktop "$STAGE/usr/share/applications/"
install -m 644 desktop/meterai_desk/icons/meterai.svg \
  "$STAGE/usr/share/icons/hicolor/scalable/apps/meterai-desk.svg"
install -m 644 "$WORK/meterai-desk-256.png" \
  "$STAGE/usr/share/icons/hicolor/256x256/apps/meterai-desk.png"
desktop-file-validate "$STAGE/usr/share/applications/meterai-desk.desktop"
installed_kb=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
# Depends (in packaging/linux/control): what PyInstaller leaves to the system (glibc,
# the GL/EGL and libxcb of the graphics stack) and the data the bundled libraries read
# from /etc and /usr/share (fontconfig's configuration and a font, xkb's keymaps).
sed -e "s/@VERSION@/$VERSION/" -e "s/@INSTALLED_SIZE@/$installed_kb/" \
  packaging/linux/control >"$STAGE/DEBIAN/control"
DEB=dist/meterai-desk_${VERSION}_amd64.deb

echo "== .deb and .tar.gz (both gzip: xz took minutes on two cores for 10% less)"
TARDIR=meterai-desk-$VERSION
TARBALL=dist/meterai-desk-$VERSION-linux-x86_64.tar.gz
rm -rf "${WORK:?}/$TARDIR" && cp -a "$BUNDLE" "$WORK/$TARDIR"
install -m 644 packaging/linux/meterai-desk.desktop desktop/meterai_desk/icons/meterai.svg \
  "$WORK/$TARDIR/"
tar -C "$WORK" --owner=0 --group=0 -czf "$TARBALL" "$TARDIR" &
tarring=$!
dpkg-deb --root-owner-group -Zgzip -z6 --build "$STAGE" "$DEB" >/dev/null
wait "$tarring"

echo "== sizes"
echo "bundle folder: $(du -sh "$BUNDLE" | cut -f1) ($(find "$BUNDLE" -type f | wc -l) files)"
echo "$(basename "$DEB"): $(du -h "$DEB" | cut -f1)"
echo "$(basename "$TARBALL"): $(du -h "$TARBALL" | cut -f1)"
echo "build time: $((SECONDS - started)) s"
