#!/usr/bin/env bash
# End-to-end check of the minimio examples.
#
# 1. The demo: 5 requests with descending delays must all be answered, the responses must come
#    out in completion order (ascending delays, so the last request sent comes first), and the
#    whole run must take less time than the delays add up to, which shows they were waited for
#    concurrently.
# 2. The echo server and client: one line sent must come back unchanged, after which the server,
#    started with --exit-after 1, must exit by itself.
#
# Usage: bash .ci/demo-order.sh   (from anywhere inside the repository)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

fail() {
    echo "demo-order: FAIL: $*" >&2
    exit 1
}

echo "demo-order: building the examples"
cargo build --quiet --example demo --example echo_server --example tcp_client

# --- 1. demo ------------------------------------------------------------------------------------

count=5
step_ms=100
echo "demo-order: running the demo with --count $count --step-ms $step_ms"
if ! output=$(timeout 60 cargo run --quiet --example demo -- --count "$count" --step-ms "$step_ms"); then
    printf '%s\n' "$output"
    fail "the demo exited with an error"
fi
printf '%s\n' "$output"

responses=$(grep '^response ' <<<"$output" || true)
n_responses=$(grep -c . <<<"$responses" || true)
[ "$n_responses" -eq "$count" ] || fail "expected $count response lines, found $n_responses"

# Lines look like: response 1 of 5 after   0.10 s: request 4 (delay 100 ms) -> "hello from request 4"
delays=$(sed -n 's/^response .*(delay \([0-9][0-9]*\) ms).*/\1/p' <<<"$responses")
n_delays=$(grep -c . <<<"$delays" || true)
[ "$n_delays" -eq "$count" ] || fail "could not read the delay of every response line"
previous=-1
for delay in $delays; do
    [ "$delay" -gt "$previous" ] ||
        fail "responses are not in completion order: delay $delay ms came after $previous ms"
    previous=$delay
done

# The requests ask for descending delays, so the last one sent must be the first answered.
requests=$(sed -n 's/^response .*: request \([0-9][0-9]*\) (delay.*/\1/p' <<<"$responses" | paste -sd' ')
expected=$(seq $((count - 1)) -1 0 | paste -sd' ')
[ "$requests" = "$expected" ] ||
    fail "requests answered in the order $requests, expected $expected"

# Summary looks like: 5 responses in 0.50 s; the delays add up to 1.50 s: ...
summary=$(grep -E '^[0-9]+ responses? in [0-9.]+ s; the delays add up to [0-9.]+ s' <<<"$output" || true)
[ -n "$summary" ] || fail "no summary line"
total=$(sed -E 's/^[0-9]+ responses? in ([0-9.]+) s.*/\1/' <<<"$summary")
sum=$(sed -E 's/.*the delays add up to ([0-9.]+) s.*/\1/' <<<"$summary")
awk -v total="$total" -v sum="$sum" 'BEGIN { exit !(total < sum) }' ||
    fail "total time $total s is not less than the sum of the delays, $sum s"
longest=$(awk -v ms="$previous" 'BEGIN { printf "%.2f", ms / 1000 }')
awk -v total="$total" -v longest="$longest" 'BEGIN { exit !(total >= longest) }' ||
    fail "total time $total s is shorter than the longest delay, $longest s"
echo "demo-order: demo OK: $count responses in completion order, $total s < $sum s"

# --- 2. echo server and client ------------------------------------------------------------------

workdir=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$workdir"
}
trap cleanup EXIT

# Port 0 lets the system pick a free port; the server prints the address it got.
server_log="$workdir/echo_server.log"
timeout 60 cargo run --quiet --example echo_server -- --addr 127.0.0.1:0 --exit-after 1 \
    >"$server_log" 2>&1 &
server_pid=$!

addr=""
for _ in $(seq 100); do
    addr=$(sed -n 's/^echo server listening on \(.*\)$/\1/p' "$server_log")
    [ -n "$addr" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$addr" ]; then
    cat "$server_log" >&2
    fail "the echo server did not report its address"
fi
echo "demo-order: echo server listening on $addr"

message="demo-order check $$"
if ! reply=$(timeout 30 cargo run --quiet --example tcp_client -- --addr "$addr" --message "$message"); then
    cat "$server_log" >&2
    fail "tcp_client failed"
fi
echo "$reply"
[ "$reply" = "echo from $addr: \"$message\"" ] || fail "unexpected reply from tcp_client: $reply"

server_status=0
wait "$server_pid" || server_status=$?
server_pid=""
cat "$server_log"
[ "$server_status" -eq 0 ] ||
    fail "the echo server exited with status $server_status (124 means it did not exit by itself)"
echo "demo-order: echo OK"
echo "demo-order: all checks passed"
