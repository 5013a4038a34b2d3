#!/usr/bin/env bash
# Guidance benchmark: stroke end → shadow / frame latency (1 session × 1 and × 4 participants) and fairness with
# 8 sessions drawing at once, against the release server. Prints figures; not a test.
#
# Model: $MODEL if set, else models/default when exported, else a stand-in with the shipped architecture and
# random weights (same cost; generated once under /tmp by the runtime's bench/runtime/make_model.py, with the
# database size of the shipped export: 4500 rows per part, 500 for the remainder).
# Extra arguments go to bench.py (e.g. --seconds 60 --pace 0.3 --workers 2).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
if [ -z "${MODEL:-}" ]; then
  if [ -f models/default/manifest.json ]; then
    MODEL=models/default
  else
    MODEL=/tmp/sketchface-bench-random256
    [ -f "$MODEL/manifest.json" ] || nice "$PY" bench/runtime/make_model.py "$MODEL" 4500 500
  fi
fi
echo "building release server and runtime-bench…" >&2
swift build -c release --product sketchface >/dev/null
swift build -c release --product runtime-bench >/dev/null
"$PY" bench/guidance/bench.py --model "$MODEL" "$@"

# Same-run reference: what the runtime alone takes for one face on this machine right now (the 2 cores are
# shared, so absolute figures move with the load; the difference to the frame latency above is guidance's cost).
WORK=$(mktemp -d "${TMPDIR:-/tmp}/guidance-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$PY" bench/runtime/make_inputs.py "$WORK/sketches" 4 >/dev/null
"$(swift build -c release --show-bin-path)/runtime-bench" --model "$MODEL" --sketches "$WORK/sketches" --iterations 10 --threads 1 \
  | "$PY" bench/guidance/reference.py
