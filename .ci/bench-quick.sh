#!/usr/bin/env bash
# Proves the benchmark harness works: every scenario, every library, tiny counts, one counted
# round. Timings are printed, never checked.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -p minimio-bench -- --quick
