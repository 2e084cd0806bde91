#!/usr/bin/env bash
# The reliability suite at soak sizes: the model test over 100 seeds of 20 000 steps, 10 000
# connections x 100 messages, 30 s of registration churn from 8 threads, long wake and signal
# storms, thousands of peer resets. Not part of CI (it takes minutes); run it after touching a
# backend or before a release.
#
# Usage: bash .ci/soak.sh [more cargo test arguments, e.g. a test name filter]
# A failing model seed prints the command that replays it, e.g.
#   MINIMIO_MODEL_SEED=123 cargo test --test model -- --nocapture
set -euo pipefail
cd "$(dirname "$0")/.."

export MINIMIO_SOAK=1
start=$(date +%s)
# One test at a time: the soak sizes are meant to have the machine to themselves.
cargo test --release --no-fail-fast --test model --test stress --test faults --test fd_exhaustion "$@" \
    -- --nocapture --test-threads=1
echo "soak: passed in $(($(date +%s) - start)) s"
