#!/usr/bin/env bash
# `make cluster`: PostgreSQL (initdb into a temporary directory, run as `nobody` when we are root), three
# nodes on 127.0.0.1:8081-8083 (Config/node-N.json) and HAProxy on 127.0.0.1:8080 (Config/haproxy.cfg).
# Ctrl-C stops everything and removes the temporary state. Extra arguments go to scripts/cluster.py
# (--no-guidance: nodes without the face model).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
swift build -c release --product sketchface
exec .venv/bin/python scripts/cluster.py --binary .build/release/sketchface "$@"
