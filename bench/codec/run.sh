#!/usr/bin/env bash
# Codec micro-benchmarks (pure, no sockets): prints medians of 7 runs. Built with swiftc -O (as release
# builds: the network-facing modules keep their checks) straight from the module sources into the ignored
# .build/bench-codec/. OPT=-Ounchecked measures what the checks cost.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.build/bench-codec
OPT=${OPT:--O}
mkdir -p "$out"
swiftc "$OPT" -parse-as-library -module-name websocket_bench -I Sources/COpenSSL -lcrypto \
    Sources/WebSocket/*.swift bench/codec/websocket_bench.swift -o "$out/websocket_bench"
swiftc "$OPT" -parse-as-library -module-name http_bench Sources/HTTP/*.swift bench/codec/http_bench.swift -o "$out/http_bench"
"$out/websocket_bench"
"$out/http_bench"
