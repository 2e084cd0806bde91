#!/usr/bin/env bash
# Runs minimio's test suite for x86_64-pc-windows-gnu under Wine, on a Debian machine.
# Idempotent: installs only what is missing and reuses the Wine prefix of an earlier run.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-pc-windows-gnu
TARGET_DIR=${CARGO_TARGET_DIR:-target}
case $TARGET_DIR in /*) ;; *) TARGET_DIR=$PWD/$TARGET_DIR ;; esac
export WINEDEBUG=-all
export WINEPREFIX=${WINEPREFIX:-$TARGET_DIR/wine-prefix}
# No display: keep Wine from trying to open windows or ask to install Mono or Gecko.
export DISPLAY=
export WINEDLLOVERRIDES="mscoree,mshtml="

step() { printf '\n=== %s ===\n' "$*"; }

step "tools"
if ! command -v wine >/dev/null || ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "wine and gcc-mingw-w64-x86-64 are missing and installing them needs root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q wine wine64 gcc-mingw-w64-x86-64
fi
rustup target add "$TARGET"
wine --version

step "wine prefix"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  mkdir -p "$WINEPREFIX"
  wineboot -i
  wineserver -w
fi
echo "$WINEPREFIX"

step "ProcessPrng"
# Rust std 1.78+ imports ProcessPrng from bcryptprimitives.dll; without it a Rust program exits
# at once with status 53. Install our own small DLL only where Wine has none that exports it.
system32="$WINEPREFIX/drive_c/windows/system32"
wine_dll_dirs=(/usr/lib/x86_64-linux-gnu/wine/x86_64-windows /usr/lib/wine/x86_64-windows)
has_processprng=no
for dir in "${wine_dll_dirs[@]}" "$system32"; do
  if [ -f "$dir/bcryptprimitives.dll" ] && grep -qa ProcessPrng "$dir/bcryptprimitives.dll"; then
    has_processprng=yes
    echo "found in $dir"
    break
  fi
done
if [ "$has_processprng" = no ]; then
  shim="$TARGET_DIR/wine-shim/bcryptprimitives.dll"
  mkdir -p "$(dirname "$shim")"
  x86_64-w64-mingw32-gcc -O2 -shared -s -o "$shim" \
    .ci/wine/processprng.c .ci/wine/bcryptprimitives.def -ladvapi32
  cp "$shim" "$system32/bcryptprimitives.dll"
  echo "installed our ProcessPrng shim as $system32/bcryptprimitives.dll"
fi

step "cargo test --target $TARGET (under wine)"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine
start=$(date +%s)
cargo test --target "$TARGET" 2>&1 | tee "$TARGET_DIR/wine-test.log"
echo
echo "summary:"
grep -E '^(     Running|test result:)' "$TARGET_DIR/wine-test.log" || true
echo "wine tests took $(( $(date +%s) - start )) s"
