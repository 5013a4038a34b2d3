#!/usr/bin/env bash
# Installs what SketchFace needs on Debian 12: system -dev packages (apt, when root) and the Python venv.
set -euo pipefail
cd "$(dirname "$0")/.."
# postgresql: the PostgreSQL store and its tests; haproxy too: the cluster (make cluster, tests/cluster).
need=(libssl-dev libpng-dev libopenblas-dev libsqlite3-dev libpq-dev postgresql haproxy pkg-config openssl curl chromium)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "deps: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "deps: missing packages; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
if [ ! -x .venv/bin/python ] || ! cmp -s requirements.txt .venv/.requirements.stamp; then
  echo "deps: setting up .venv from requirements.txt"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/.requirements.stamp
fi
