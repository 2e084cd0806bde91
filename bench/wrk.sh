#!/usr/bin/env bash
# wrk against the http_hello server built on minimio (examples/http_hello) and the same source
# built on mio (bench/src/bin/http_hello_mio.rs), alternately, ROUNDS times each; prints the
# medians and their ratio and saves them in bench/results/wrk.md. Needs Debian's wrk.
#
#   bench/wrk.sh                  # 3 rounds of: wrk -t1 -c100 -d10s
#   ROUNDS=5 DURATION=5s bench/wrk.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
PORT=${PORT:-18080}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install -y wrk"; exit 1; }

cargo build --release --example http_hello
cargo build --release -p minimio-bench --bin http_hello_mio
target="${CARGO_TARGET_DIR:-target}/release"
declare -A binary=([minimio]="$target/examples/http_hello" [mio]="$target/http_hello_mio")

server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
trap stop_server EXIT

start_server() {
  "${binary[$1]}" --addr "127.0.0.1:$PORT" 2>/dev/null &
  server_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "server $1 did not start"; exit 1
}

results=$(mktemp)
for round in $(seq "$ROUNDS"); do
  for server in minimio mio; do
    start_server "$server"
    output=$(wrk -t1 -c100 -d"$DURATION" "http://127.0.0.1:$PORT/")
    if grep -qE "Non-2xx|Socket errors" <<<"$output"; then
      echo "wrk reported errors against $server:"; echo "$output"; exit 1
    fi
    awk -v s="$server" '/Requests\/sec/ { print s, $2 }' <<<"$output" >> "$results"
    stop_server
  done
  echo "round $round done" >&2
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ours=$(awk '$1 == "minimio" { print $2 }' "$results" | median)
theirs=$(awk '$1 == "mio" { print $2 }' "$results" | median)
{
  echo "wrk -t1 -c100 -d$DURATION, $ROUNDS alternating rounds, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "| server | median req/s |"
  echo "|---|---|"
  echo "| http_hello on minimio | $ours |"
  echo "| http_hello on mio | $theirs |"
  awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "| ratio minimio / mio | %.3f× |\n", a / b }'
  echo
  echo "All runs (server req/s):"
  sed 's/^/    /' "$results"
} | tee bench/results/wrk.md
rm -f "$results"
