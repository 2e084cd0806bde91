#!/usr/bin/env bash
# Runs every integration test binary of minimio under valgrind's memcheck.
#
# Any invalid read or write, use of uninitialised memory, or definite/indirect leak fails the run.
# "Possibly lost" blocks are not counted: the test harness leaves its worker threads' channels
# alive at exit, which memcheck can only call "possibly lost".
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
  apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi
valgrind --version

# tests/fd_exhaustion.rs is left out: valgrind keeps descriptors of its own at the top of the
# process's RLIMIT_NOFILE and virtualises that limit, so exhausting descriptors under it tests
# valgrind rather than minimio (the test runs natively in `cargo test`).
targets=(--lib)
for file in tests/*.rs; do
  name=$(basename "$file" .rs)
  [ "$name" = fd_exhaustion ] || targets+=(--test "$name")
done

export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
cargo test "${targets[@]}"
