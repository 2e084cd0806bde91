#!/usr/bin/env bash
# The Unix backends that cannot run on the CI machine (kqueue), and the one that runs anywhere
# but is not the default (poll(2)):
#
# - every kqueue target is compiled with clippy, tests included, which also compiles the FFI
#   layout proof for that target (nothing is run: there is no kqueue machine);
# - the tier-3 kqueue targets (OpenBSD, DragonFly) the same way on nightly with -Zbuild-std;
# - the poll(2) backend is selected with --cfg minimio_force_poll and the whole test suite and
#   the book's demo run against it, in a target directory of its own so the default build stays
#   cached.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s ===\n' "$*"; }

KQUEUE_TARGETS=(
  x86_64-apple-darwin
  aarch64-apple-darwin
  aarch64-apple-ios
  x86_64-unknown-freebsd
  x86_64-unknown-netbsd
)
# No prebuilt std for these: std is built from source on nightly.
TIER3_KQUEUE_TARGETS=(
  x86_64-unknown-openbsd
  x86_64-unknown-dragonfly
)
# The poll(2) backend's BSD branches (no POLLRDHUP, pipe-based wake-ups) compiled on two of them.
FORCE_POLL_CHECK_TARGETS=(
  x86_64-apple-darwin
  x86_64-unknown-freebsd
)
FORCE_POLL=(--cfg minimio_force_poll)
POLL_TARGET_DIR="${CARGO_TARGET_DIR:-target}/force-poll"

step "toolchains"
rustup component add clippy >/dev/null 2>&1 || true
rustup target add "${KQUEUE_TARGETS[@]}"
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
rustup +nightly component add rust-src clippy

step "kqueue targets: clippy and layout proofs"
for target in "${KQUEUE_TARGETS[@]}"; do
  echo "-- $target"
  cargo clippy --all-targets --target "$target" -- -D warnings
done

step "tier-3 kqueue targets: clippy and layout proofs on nightly with build-std"
for target in "${TIER3_KQUEUE_TARGETS[@]}"; do
  echo "-- $target"
  cargo +nightly clippy -Zbuild-std=core,std --all-targets --target "$target" -- -D warnings
done

step "poll(2) backend: clippy"
RUSTFLAGS="${FORCE_POLL[*]}" CARGO_TARGET_DIR="$POLL_TARGET_DIR" \
  cargo clippy --all-targets -- -D warnings
for target in "${FORCE_POLL_CHECK_TARGETS[@]}"; do
  echo "-- $target"
  RUSTFLAGS="${FORCE_POLL[*]}" CARGO_TARGET_DIR="$POLL_TARGET_DIR" \
    cargo clippy --all-targets --target "$target" -- -D warnings
done

step "poll(2) backend: the whole test suite"
RUSTFLAGS="${FORCE_POLL[*]}" CARGO_TARGET_DIR="$POLL_TARGET_DIR" cargo test

step "poll(2) backend: the book's demo"
RUSTFLAGS="${FORCE_POLL[*]}" CARGO_TARGET_DIR="$POLL_TARGET_DIR" bash .ci/demo-order.sh

echo
echo "Unix backends passed"
