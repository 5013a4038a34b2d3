#!/usr/bin/env bash
# Sessions benchmark: broadcast latency, acknowledged ops/s and server memory for S sessions × C clients
# replaying bench/sessions/strokes.json; then group commit vs one transaction per operation. Bounded runs.
# Usage: bench/sessions/run.sh [duration-seconds]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-10}"
PY=.venv/bin/python
echo "building release binary…"
nice swift build -c release --product sketchface 2>&1 | tail -1
$PY bench/sessions/bench.py --sessions 1 --clients 4 --duration "$DURATION"
$PY bench/sessions/bench.py --sessions 50 --clients 4 --duration "$DURATION" --fps 10
$PY bench/sessions/bench.py --sessions 50 --clients 4 --duration "$DURATION" --fps 10 --no-group-commit
