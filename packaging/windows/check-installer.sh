#!/usr/bin/env bash
# The Windows installer, checked on Linux: meterai-desk.iss compiled by Inno Setup's own
# compiler (ISCC.exe, from the npm package `innosetup`) under Wine, then the setup run
# silently in a fresh Wine prefix as a user without admin rights would run it, and
# uninstalled. It checks what a per-user install must add (the program under
# %LOCALAPPDATA%\Programs, Start-menu entries, "Open with" for .pdf, App Paths, the
# uninstall entry, all in HKCU) and what the uninstaller must remove and must keep (the
# user's data folder: the outbox holds paid stamps).
#
#   bash packaging/windows/check-installer.sh
#
# PyInstaller cannot make the Windows bundle on Linux, so a stand-in folder (two small
# Windows programs named like ours) is packed: this checks the installer, not the app.
# Wine 8 does not know the per-user Program Files folder that {autopf} means for a
# per-user install, so the install runs from a copy that names it outright
# ({localappdata}\Programs, what Windows gives); the script itself is compiled as is.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
WORK=$ROOT/build/windows-installer
INNO=6.4.1
started=$SECONDS

need_tools() {
  if ! command -v wine >/dev/null || ! dpkg -s wine32:i386 >/dev/null 2>&1 ||
    ! command -v xvfb-run >/dev/null; then
    echo "== installing Wine (32-bit too: ISCC.exe and the setup are 32-bit programs)"
    dpkg --add-architecture i386 &&
      apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=300 wine wine32:i386 wine64 xvfb xauth >/dev/null ||
      return 1
  fi
  if [ ! -f "$WORK/inno/package/bin/ISCC.exe" ]; then
    echo "== Inno Setup $INNO (npm package innosetup)"
    mkdir -p "$WORK/inno"
    (cd "$WORK/inno" && npm pack --silent "innosetup@$INNO" >/dev/null &&
      tar xzf "innosetup-$INNO.tgz") || return 1
  fi
}

checks_passed=0
checks_failed=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then
    checks_passed=$((checks_passed + 1))
    echo "  ok    $what"
  else
    checks_failed=$((checks_failed + 1))
    echo "  FAIL  $what"
  fi
}

run_in_wine() {
  export WINEPREFIX=$WORK/prefix WINEDEBUG=-all
  local iscc=$WORK/inno/package/bin/ISCC.exe
  local version
  version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
  rm -rf "$WORK/prefix" "$WORK/out" "$WORK/bundle"
  mkdir -p "$WORK/bundle/_internal" "$WORK/out"
  cp "$WORK/inno/package/bin/islzma32.exe" "$WORK/bundle/meterai-desk.exe"
  cp "$WORK/inno/package/bin/islzma64.exe" "$WORK/bundle/meterai.exe"
  echo "stand-in" >"$WORK/bundle/_internal/base_library.zip"
  wine wineboot --init >/dev/null 2>&1
  wine winecfg -v win10 >/dev/null 2>&1
  local bundle out
  bundle=$(winepath -w "$WORK/bundle")
  out=$(winepath -w "$WORK/out")

  echo "== compile packaging/windows/meterai-desk.iss (version $version)"
  wine "$iscc" /Q "/DAppVersion=$version" "/DBundleDir=$bundle" "/O$out" \
    "$(winepath -w "$ROOT/packaging/windows/meterai-desk.iss")"
  check "compiles: meterai-desk-$version-windows-x64-setup.exe" \
    test -s "$WORK/out/meterai-desk-$version-windows-x64-setup.exe"
  sed 's/^DefaultDirName={autopf}/DefaultDirName={localappdata}\\Programs/' \
    packaging/windows/meterai-desk.iss >"$WORK/for-wine.iss"
  wine "$iscc" /Q "/DAppVersion=$version" "/DBundleDir=$bundle" "/O$out" /Ffor-wine \
    "$(winepath -w "$WORK/for-wine.iss")"

  local local_dir
  local_dir=$(find "$WINEPREFIX/drive_c/users" -maxdepth 3 -type d -path '*/AppData/Local' | head -1)
  local app="$local_dir/Programs/Meterai Desk"
  local menu
  mkdir -p "$local_dir/meterai-desk"
  echo "paid stamps" >"$local_dir/meterai-desk/outbox.sqlite3"

  echo "== install silently, as the user"
  wine "$WORK/out/for-wine.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART \
    "/LOG=$(winepath -w "$WORK/install.log")" || true
  menu=$(find "$WINEPREFIX/drive_c/users" -type d -path '*Start Menu/Programs/Meterai Desk' | head -1)
  check "installs per user, no admin mode" grep -q "Administrative install mode: No" "$WORK/install.log"
  check "the program in %LOCALAPPDATA%\\Programs\\Meterai Desk" test -f "$app/meterai-desk.exe"
  check "the command line beside it" test -f "$app/meterai.exe"
  check "the shared _internal folder" test -f "$app/_internal/base_library.zip"
  check "Start menu: Meterai Desk" test -f "$menu/Meterai Desk.lnk"
  check "Start menu: the self-test" test -f "$menu/Meterai Desk self-test.lnk"
  check "Start menu: the uninstaller" test -f "$menu/Uninstall Meterai Desk.lnk"
  check "Open with: the file type opens meterai-desk.exe with the file" \
    reg_has 'HKCU\Software\Classes\MeteraiDesk.pdf\shell\open\command' 'meterai-desk.exe" "%1"'
  check "Open with: listed under .pdf" reg_has 'HKCU\Software\Classes\.pdf\OpenWithProgids' 'MeteraiDesk.pdf'
  check "Open with: the application takes .pdf" \
    reg_has 'HKCU\Software\Classes\Applications\meterai-desk.exe\SupportedTypes' '.pdf'
  check ".pdf's default program untouched" reg_default_not 'HKCU\Software\Classes\.pdf' 'MeteraiDesk.pdf'
  check "App Paths: meterai.exe" reg_has 'HKCU\Software\Microsoft\Windows\CurrentVersion\App Paths\meterai.exe' 'meterai.exe'
  check "uninstall entry in HKCU" reg_has \
    'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\{E25FDD3A-4B03-4343-8FB5-7C9793CCE28C}_is1' 'Meterai Desk'
  check "nothing written under HKLM" bash -c "! grep -qi meterai '$WINEPREFIX/system.reg'"

  echo "== uninstall silently"
  wine "$app/unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART \
    "/LOG=$(winepath -w "$WORK/uninstall.log")" || true
  for _ in $(seq 30); do [ -e "$app/meterai-desk.exe" ] || break; sleep 1; done
  check "the program is gone" test ! -e "$app/meterai-desk.exe"
  check "the Start menu entries are gone" test ! -e "$menu/Meterai Desk.lnk"
  check "the file type is gone" reg_missing 'HKCU\Software\Classes\MeteraiDesk.pdf'
  check "the Open with entry is gone" reg_lacks 'HKCU\Software\Classes\.pdf\OpenWithProgids' 'MeteraiDesk.pdf'
  check "the application entry is gone" reg_missing 'HKCU\Software\Classes\Applications\meterai-desk.exe'
  check "the uninstall entry is gone" reg_missing \
    'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\{E25FDD3A-4B03-4343-8FB5-7C9793CCE28C}_is1'
  check "the user's data folder is kept" grep -q "paid stamps" "$local_dir/meterai-desk/outbox.sqlite3"
  wineserver -k 2>/dev/null || true
  echo "installer check: $checks_passed passed, $checks_failed failed ($((SECONDS - started)) s)"
  [ "$checks_failed" = 0 ]
}

reg_has() { wine reg query "$1" /s 2>/dev/null | tr -d '\r' | grep -qF -- "$2"; }
reg_lacks() { ! reg_has "$@"; }
reg_default_not() { ! wine reg query "$1" /ve 2>/dev/null | tr -d '\r' | grep -qE "REG_SZ +$2\$"; }
reg_missing() { ! wine reg query "$1" >/dev/null 2>&1; }

if [ "${1:-}" = "--in-display" ]; then
  run_in_wine
else
  if ! need_tools; then
    # Not the installer's fault: say so where the CI log shows it, and do not fail the run.
    echo "installer check SKIPPED: Wine or Inno Setup could not be installed (see above)"
    exit 0
  fi
  # Inno Setup's wizard window exists even for a silent install: Wine needs a display.
  exec xvfb-run -a bash "$0" --in-display
fi
