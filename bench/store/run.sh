#!/usr/bin/env bash
# Store benchmark (bench/store/Sources/main.swift): SQLite vs PostgreSQL acked ops/s, group commit vs one
# transaction per op, lease take/renew latency. Starts its own throwaway PostgreSQL (as `postgres` when root).
# usage: bench/store/run.sh [seconds] [repeats] [writers]
set -euo pipefail
cd "$(dirname "$0")/../.."
nice -n 10 swift build -c release --product store-bench
exec nice -n 10 .build/release/store-bench "$@"
