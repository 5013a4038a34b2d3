#!/usr/bin/env bash
# Runtime benchmark (release build): per-stage p50/p95 of the Swift pipeline and of PyTorch eager on the same
# exported model and sketches in the same run, sgemm peak vs conv GFLOP/s, RSS.
#
# usage: bench/runtime/run.sh [MODEL_DIR ...]
#   default models: the tiny fixture, then models/default if present, else a random-weight model with the
#   shipped architecture written to $TMPDIR (bench/runtime/make_model.py).
# env: ITERATIONS (default 12), THREADS (BLAS/torch threads, default 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
ITERATIONS=${ITERATIONS:-12}
THREADS=${THREADS:-2}
PY=${PY:-.venv/bin/python}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/runtime-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

nice swift build -c release --product runtime-bench 2>&1 | grep -E "error|complete" | tail -3 || true
BIN="$(swift build -c release --show-bin-path)/runtime-bench"
$PY bench/runtime/make_inputs.py "$WORK/sketches" 8

MODELS=("$@")
if [ ${#MODELS[@]} -eq 0 ]; then
    MODELS=(Tests/FaceModelTests/Fixtures/tiny)
    if [ -f models/default/manifest.json ]; then
        MODELS+=(models/default)
    else
        echo "models/default not present: timing a random-weight model with the shipped architecture"
        $PY bench/runtime/make_model.py "$WORK/random256" 4500 500
        MODELS+=("$WORK/random256")
    fi
fi

for MODEL in "${MODELS[@]}"; do
    echo
    echo "=== $MODEL"
    "$BIN" --model "$MODEL" --sketches "$WORK/sketches" --iterations "$ITERATIONS" --threads "$THREADS" > "$WORK/swift.json"
    "$BIN" --model "$MODEL" --sketches "$WORK/sketches" --iterations "$ITERATIONS" --threads 1 > "$WORK/swift1.json"
    $PY bench/runtime/torch_bench.py "$MODEL" "$WORK/sketches" "$ITERATIONS" "$THREADS" > "$WORK/torch.json"
    $PY bench/runtime/torch_bench.py "$MODEL" "$WORK/sketches" "$ITERATIONS" 1 > "$WORK/torch1.json"
    $PY bench/runtime/report.py "$WORK/swift.json" "$WORK/torch.json" "$WORK/swift1.json" "$WORK/torch1.json"
done
