#!/usr/bin/env bash
# Full pipeline in the background: prepare → train-ce → build-db → train-gan.
# Safe to stop (kill the pid it prints) and to rerun: every stage resumes from its last checkpoint.
#   training/run_all.sh                # starts under nohup, prints the pid, logs to $RUN/run_all.out
#   RUN=/elsewhere/x CE_MINUTES=20 training/run_all.sh
set -euo pipefail
REPO=${REPO:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$REPO"
RUN=${RUN:-$REPO/runs/default}
PY=${PY:-.venv/bin/python}
CE_STEPS=${CE_STEPS:-100000}
CE_MINUTES=${CE_MINUTES:-18}
GAN_STEPS=${GAN_STEPS:-100000}
GAN_MINUTES=${GAN_MINUTES:-0}
PREPARE_WORKERS=${PREPARE_WORKERS:-2}
THREADS=${THREADS:-1}
export PYTHONPATH=training

if [ "${1:-}" != "--foreground" ]; then
  mkdir -p "$RUN"
  # run a copy: bash reads scripts lazily, so editing this file must not change a running pipeline
  cp "$0" "$RUN/.run_all.sh"
  REPO="$REPO" nohup nice -n 5 bash "$RUN/.run_all.sh" --foreground >> "$RUN/run_all.out" 2>&1 &
  echo "run_all: started pid $! (run dir $RUN, log $RUN/run_all.out)"
  exit 0
fi

echo "run_all: $(date -u +%FT%TZ) run=$RUN"
$PY -m sketchface_train prepare --run "$RUN" --workers "$PREPARE_WORKERS"
if [ ! -f "$RUN/ce.done" ]; then
  $PY -m sketchface_train train-ce --run "$RUN" --resume --steps "$CE_STEPS" --max-minutes "$CE_MINUTES" \
    --threads "$THREADS"
  touch "$RUN/ce.done"
fi
if [ ! -f "$RUN/db.pt" ]; then
  $PY -m sketchface_train build-db --run "$RUN" --threads "$THREADS"
fi
$PY -m sketchface_train train-gan --run "$RUN" --resume --steps "$GAN_STEPS" --max-minutes "$GAN_MINUTES" \
  --threads "$THREADS"
echo "run_all: $(date -u +%FT%TZ) done"
