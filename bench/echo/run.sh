#!/usr/bin/env bash
# WebSocket echo benchmark: SketchFace vs a minimal SwiftNIO NIOWebSocket echo server, plaintext and TLS,
# in one run; then 1,000 idle WebSocket connections and the server's resident memory per connection.
#
#   bench/echo/run.sh            (env: CONNECTIONS=64 SIZE=128 WARMUP=2 DURATION=10 THREADS=1 IDLE=1000)
#
# Both servers run 2 event-loop threads on 127.0.0.1; the load generator (loadgen.c: C + OpenSSL + epoll)
# keeps one message in flight per connection and reports its own CPU use so a saturated client shows.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONNECTIONS=${CONNECTIONS:-64} SIZE=${SIZE:-128} WARMUP=${WARMUP:-2} SECONDS_RUN=${DURATION:-10}
THREADS=${THREADS:-1} IDLE=${IDLE:-1000}
ulimit -n 8192 2>/dev/null || true

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

echo "== building (release)" >&2
mkdir -p bench/echo/.build
gcc -O2 -Wall -o bench/echo/.build/loadgen bench/echo/loadgen.c -lssl -lcrypto -lpthread
swift build -c release --product sketchface >&2
(cd bench/echo/nio-echo && swift build -c release >&2)
sketchface="$(swift build -c release --show-bin-path)/sketchface"
nioecho="$(cd bench/echo/nio-echo && swift build -c release --show-bin-path)/NIOEcho"
loadgen=bench/echo/.build/loadgen

# Starts a server in the background; sets $port and $server_pid. $1: sketchface|nio, $2: plain|tls
start_server() {
  local out="$work/server.out"
  : > "$out"
  if [ "$1" = sketchface ]; then
    local listen=(--http 127.0.0.1:0 --https off)
    [ "$2" = tls ] && listen=(--http off --https 127.0.0.1:0)
    # Every load-generator connection comes from 127.0.0.1: lift the per-address share with the total.
    echo '{"limits": {"max_connections_per_address": 4096}}' > "$work/bench.json"
    "$sketchface" serve --config "$work/bench.json" "${listen[@]}" --echo --data-dir "$work/data" --web-root "$work" \
      --log-level warning --max-connections 4096 > "$out" 2>"$work/server.err" &
  else
    local tls=()
    [ "$2" = tls ] && tls=("$work/data/dev-cert.pem" "$work/data/dev-key.pem")
    "$nioecho" 0 "${tls[@]}" > "$out" 2>"$work/server.err" &
  fi
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 100); do
    port=$(grep -oE '(127.0.0.1:|listening )[0-9]+' "$out" | grep -oE '[0-9]+$' | head -1 || true)
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "server $1 $2 did not start: $(cat "$work/server.err")" >&2
  exit 1
}

stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# The development certificate both servers use for TLS (sketchface generates it on first start).
start_server sketchface tls; stop_server

declare -A result
for server in sketchface nio; do
  for transport in plain tls; do
    start_server "$server" "$transport"
    tls=0; [ "$transport" = tls ] && tls=1
    echo "== $server $transport: $CONNECTIONS connections x $SIZE-byte messages, ${SECONDS_RUN}s" >&2
    result[$server.$transport]=$("$loadgen" echo "$port" "$tls" "$CONNECTIONS" "$SIZE" "$WARMUP" "$SECONDS_RUN" "$THREADS")
    echo "   ${result[$server.$transport]}" >&2
    stop_server
  done
done

declare -A idle
for server in sketchface nio; do
  for transport in plain tls; do
    start_server "$server" "$transport"
    tls=0; [ "$transport" = tls ] && tls=1
    sleep 0.5
    before=$(rss_kib "$server_pid")
    coproc HOLD { "$loadgen" idle "$port" "$tls" "$IDLE"; }
    read -r ready _ <&"${HOLD[0]}"
    sleep 1
    after=$(rss_kib "$server_pid")
    exec {HOLD[1]}>&-
    wait "$HOLD_PID" 2>/dev/null || true
    idle[$server.$transport]="$before $after"
    echo "== idle $server $transport: RSS ${before} KiB -> ${after} KiB with $IDLE connections" >&2
    stop_server
  done
done

field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'; }
echo
echo "WebSocket echo, $CONNECTIONS connections x $SIZE-byte messages, one in flight each, ${SECONDS_RUN}s after ${WARMUP}s warm-up ($(nproc) cores)"
printf '%-22s %12s %10s %10s %12s\n' server messages/s p50_us p99_us client_cpu%
for key in sketchface.plain nio.plain sketchface.tls nio.tls; do
  r=${result[$key]}
  printf '%-22s %12s %10s %10s %12s\n' "$key" "$(field "$r" messages_per_s)" "$(field "$r" p50_us)" "$(field "$r" p99_us)" "$(field "$r" client_cpu_pct)"
done
for transport in plain tls; do
  a=$(field "${result[sketchface.$transport]}" messages_per_s); b=$(field "${result[nio.$transport]}" messages_per_s)
  echo "sketchface/nio throughput ratio ($transport): $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}')"
done
echo
echo "$IDLE idle WebSocket connections: server resident memory"
printf '%-22s %12s %12s %14s\n' server before_KiB after_KiB KiB/connection
for key in sketchface.plain nio.plain sketchface.tls nio.tls; do
  read -r before after <<< "${idle[$key]}"
  printf '%-22s %12s %12s %14s\n' "$key" "$before" "$after" "$(awk -v a="$after" -v b="$before" -v n="$IDLE" 'BEGIN {printf "%.1f", (a - b) / n}')"
done
