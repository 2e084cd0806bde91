#!/usr/bin/env bash
# Runs the unit tests and the pipe, waker, poll and TCP integration tests under Miri, which checks every unsafe block
# they reach (our FFI calls, the Events buffer, pointer casts) for undefined behaviour.
#
# Miri emulates epoll, eventfd, pipes and TCP sockets on Linux, through our own `extern`
# declarations. It does not emulate Unix-domain sockets beyond a socketpair's read and write, UDP,
# or process spawning: tests that need those are skipped under Miri (`cfg(miri)`), and say why.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || true
rustup +nightly component add miri rust-src
cargo +nightly miri setup

# Isolation off: the tests read the clock and use loopback sockets.
export MIRIFLAGS="-Zmiri-disable-isolation"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/miri-run"
cargo +nightly miri test --lib --test poll --test waker --test pipe --test tcp
