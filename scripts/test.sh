#!/usr/bin/env bash
# Every test suite, in order: Swift (unit + integration), training (pytest), Python integration/browser
# tests (pytest), fuzzers. CI runs exactly this through `make test` with CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

step() { printf '\n==> %s\n' "$*"; }

step "swift build (debug, with tests)"
swift build --build-tests
step "swift test"
swift test --skip-build

step "pytest training/tests"
.venv/bin/python -m pytest -q training/tests
step "pytest tests (integration, durability, browser)"
.venv/bin/python -m pytest -q tests

step "fuzzers"
bash fuzz/run.sh
