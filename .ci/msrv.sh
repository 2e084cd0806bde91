#!/usr/bin/env bash
# Builds and tests minimio with the oldest Rust it promises to support: the `rust-version` of
# Cargo.toml, installed with rustup when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
[ -n "$msrv" ] || { echo "Cargo.toml has no rust-version" >&2; exit 1; }
rustup toolchain install "$msrv" --profile minimal >/dev/null
echo "rust-version $msrv: $(rustc +"$msrv" --version)"
# Its own target directory, so the stable build stays cached.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/msrv"
cargo +"$msrv" test -p minimio --lib --tests
