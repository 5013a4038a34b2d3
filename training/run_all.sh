#!/usr/bin/env bash
# Full pipeline in the background: prepare → appearance → train-ce → build-db → train-gan.
# Safe to stop (kill the pid it prints) and to rerun: every stage resumes from its last checkpoint.
#   training/run_all.sh                # starts under nohup, prints the pid, logs to $RUN/run_all.out
#   RUN=/elsewhere/x CE_MINUTES=20 training/run_all.sh
# Warm start: a run folder with neither ce.pt nor gan.pt (a new machine: runs/ is never committed) starts from
# the exported model $WARM_START (default models/default) instead of from scratch: `warm-start` writes both
# checkpoints from its weights and marks stage 1 done, so train-ce is skipped; prepare and appearance still
# compute the data, build-db encodes it, and train-gan resumes with a fresh discriminator that trains alone for
# $DISC_WARMUP steps first. WARM_START= (empty) trains from scratch.
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
RESOLUTION=${RESOLUTION:-128}
WARMUP=${WARMUP:-800}          # train-gan steps with L1 only, before the discriminator starts
WARM_START=${WARM_START-models/default}  # exported model a run without checkpoints starts from; empty: none
DISC_WARMUP=${DISC_WARMUP:-200}          # after a warm start: discriminator-only train-gan steps
LR_DECAY_START=${LR_DECAY_START:-0}     # train-gan: the learning rate falls linearly to 0 from this step ...
LR_DECAY_STEPS=${LR_DECAY_STEPS:-0}     # ... over this many steps; 0: constant
SKETCH_CHANNEL=${SKETCH_CHANNEL:-projected}  # train-gan: the generator's sketch channel where a latent is projected
GEN_UPSAMPLE=${GEN_UPSAMPLE:-}          # train-gan: nearest|bilinear generator upsampling; empty: the run's own
GAN_BF16=${GAN_BF16:-true}     # measured 5x on a CPU with avx512_bf16; re-measure on another CPU (bench/train)
export PYTHONPATH=training
# OMP_WAIT_POLICY=PASSIVE (threads sleep instead of spinning) kept 2 threads at ~1 core under contention here,
# so the default (spinning) is used; a value set in the environment still reaches torch.

if [ "${1:-}" != "--foreground" ]; then
  mkdir -p "$RUN"
  # run a copy: bash reads scripts lazily, so editing this file must not change a running pipeline
  cp "$0" "$RUN/.run_all.sh"
  REPO="$REPO" nohup nice -n 5 bash "$RUN/.run_all.sh" --foreground >> "$RUN/run_all.out" 2>&1 &
  echo "run_all: started pid $! (run dir $RUN, log $RUN/run_all.out)"
  exit 0
fi

echo "run_all: $(date -u +%FT%TZ) run=$RUN"
$PY -m sketchface_train prepare --run "$RUN" --workers "$PREPARE_WORKERS" --resolution "$RESOLUTION"
if [ ! -f "$RUN/data/appearance.npy" ]; then
  $PY -m sketchface_train appearance --run "$RUN" --workers "$PREPARE_WORKERS"
fi
if [ -n "$WARM_START" ] && [ -f "$WARM_START/manifest.json" ] && [ ! -f "$RUN/ce.pt" ] && [ ! -f "$RUN/gan.pt" ]; then
  $PY -m sketchface_train warm-start --run "$RUN" --model "$WARM_START"
fi
if [ ! -f "$RUN/ce.done" ]; then
  $PY -m sketchface_train train-ce --run "$RUN" --resume --steps "$CE_STEPS" --max-minutes "$CE_MINUTES" \
    --threads "$THREADS" --bf16 false
  touch "$RUN/ce.done"
fi
if [ ! -f "$RUN/db.pt" ]; then
  $PY -m sketchface_train build-db --run "$RUN" --threads "$THREADS"
fi
$PY -m sketchface_train train-gan --run "$RUN" --resume --steps "$GAN_STEPS" --max-minutes "$GAN_MINUTES" \
  --threads "$THREADS" --warmup-steps "$WARMUP" --disc-warmup-steps "$DISC_WARMUP" --bf16 "$GAN_BF16" \
  --lr-decay-start "$LR_DECAY_START" --lr-decay-steps "$LR_DECAY_STEPS" --sketch-channel "$SKETCH_CHANNEL" \
  --gen-upsample "$GEN_UPSAMPLE"
echo "run_all: $(date -u +%FT%TZ) done"
