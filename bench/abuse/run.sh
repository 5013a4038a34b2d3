#!/usr/bin/env bash
# Abuse benchmarks (docs/SESSIONS.md, "Under abuse"). The rasteriser part is pure: built with swiftc -Ounchecked
# (as release builds) straight from Sources/Raster into the ignored .build/bench-abuse/.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.build/bench-abuse
mkdir -p "$out"
swiftc -Ounchecked -parse-as-library -module-name raster_bench Sources/Raster/*.swift bench/abuse/raster_bench.swift \
    -o "$out/raster_bench"
"$out/raster_bench"
