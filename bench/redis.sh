#!/usr/bin/env bash
# redis-benchmark's PING tests against examples/resp_server (minimio) and against redis-server,
# alternately, ROUNDS times each; prints the medians and their ratio and saves them in
# bench/results/redis.md. Needs Debian's redis-tools and redis-server.
#
#   bench/redis.sh            # 5 rounds of: redis-benchmark -t ping -c 50 -n 1000000 -P 16
#   ROUNDS=3 REQUESTS=100000 bench/redis.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
REQUESTS=${REQUESTS:-1000000}
PORT=${PORT:-16379}
for tool in redis-benchmark redis-cli redis-server; do
  command -v "$tool" >/dev/null || { echo "$tool missing: apt-get install -y redis-tools redis-server"; exit 1; }
done

cargo build --release --example resp_server
server_bin="${CARGO_TARGET_DIR:-target}/release/examples/resp_server"

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
  case "$1" in
    minimio) "$server_bin" --addr "127.0.0.1:$PORT" 2>/dev/null & ;;
    redis) redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
             --io-threads 1 --daemonize no --logfile /dev/null & ;;
  esac
  server_pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.05
  done
  echo "server $1 did not start"; exit 1
}

# One run: prints "PING_INLINE rps" and "PING_MBULK rps" lines.
bench_once() {
  redis-benchmark -h 127.0.0.1 -p "$PORT" -t ping -c 50 -n "$REQUESTS" -P 16 --csv 2>/dev/null |
    awk -F'","' '/PING/ { gsub(/"/, "", $1); print $1, $2 }'
}

results=$(mktemp)
for round in $(seq "$ROUNDS"); do
  for server in minimio redis; do
    start_server "$server"
    bench_once | sed "s/^/$server /" >> "$results"
    stop_server
  done
  echo "round $round done" >&2
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
{
  echo "redis-benchmark -t ping -c 50 -n $REQUESTS -P 16, $ROUNDS alternating rounds, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "| test | resp_server (minimio) median req/s | redis-server $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-) median req/s | ratio |"
  echo "|---|---|---|---|"
  for test in PING_INLINE PING_MBULK; do
    ours=$(awk -v t="$test" '$1 == "minimio" && $2 == t { print $3 }' "$results" | median)
    theirs=$(awk -v t="$test" '$1 == "redis" && $2 == t { print $3 }' "$results" | median)
    awk -v t="$test" -v a="$ours" -v b="$theirs" 'BEGIN { printf "| %s | %.0f | %.0f | %.3f× |\n", t, a, b, a / b }'
  done
  echo
  echo "All runs (server test req/s):"
  sed 's/^/    /' "$results"
} | tee bench/results/redis.md
rm -f "$results"
