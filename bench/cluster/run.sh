#!/usr/bin/env bash
# Cluster figures (docs/SCALING.md): builds the release binary, then bench/cluster/bench.py with any arguments.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product sketchface
OMP_NUM_THREADS=1 exec .venv/bin/python bench/cluster/bench.py --binary .build/release/sketchface "$@"
