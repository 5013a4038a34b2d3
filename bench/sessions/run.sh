#!/usr/bin/env bash
# Sessions benchmark (bounded runs, release build): S sessions × C clients replaying bench/sessions/strokes.json.
#  1. S=1,C=4 and S=50,C=4 at a drawing pace: broadcast latency p50/p95/p99, acked ops/s, server RSS.
#  2. Saturation (clients send as fast as they can): acked ops/s with group commit vs one transaction per op,
#     measured back to back. Latency figures of saturation runs only show queueing and are not meaningful.
# Usage: bench/sessions/run.sh [duration-seconds]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-10}"
PY=.venv/bin/python
echo "building release binary…"
nice swift build -c release --product sketchface 2>&1 | tail -1
$PY bench/sessions/bench.py --sessions 1 --clients 4 --duration "$DURATION" --fps 30
$PY bench/sessions/bench.py --sessions 50 --clients 4 --duration "$DURATION" --fps 10
echo "saturation: group commit vs per-op transactions"
$PY bench/sessions/bench.py --sessions 50 --clients 4 --duration "$DURATION" --fps 0
$PY bench/sessions/bench.py --sessions 50 --clients 4 --duration "$DURATION" --fps 0 --no-group-commit
