#!/usr/bin/env bash
# Abuse benchmarks (docs/SESSIONS.md, "Under abuse"). The rasteriser part is pure: built with swiftc -Ounchecked
# (as release builds) straight from Sources/Raster into the ignored .build/bench-abuse/. Then the real server
# (release): an attacker session at the limits vs HTTP and another session, RSS under max-rate drawing, restart
# time of a 10 000-op session. Usage: bench/abuse/run.sh [attack-seconds] [configuration]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-10}"
CONFIGURATION="${2:-release}"
out=.build/bench-abuse
mkdir -p "$out"
# As Package.swift builds release: Raster with -Ounchecked, Sessions (network input) keeping its checks (-O).
release_flag() { if [ "$1" = Sessions ]; then echo -O; else echo -Ounchecked; fi; }
swiftc -Ounchecked -parse-as-library -module-name raster_bench Sources/Raster/*.swift bench/abuse/raster_bench.swift bench/abuse/Median.swift \
    -o "$out/raster_bench"
for module in Raster Sessions; do
    (cd "$out" && swiftc "$(release_flag "$module")" -parse-as-library -module-name "$module" -I . -emit-module -emit-library -static \
        "$OLDPWD"/Sources/"$module"/*.swift -o "lib$module.a")
done
swiftc -Ounchecked -parse-as-library -module-name undo_bench -I "$out" -L "$out" -lSessions -lRaster \
    bench/abuse/undo_bench.swift bench/abuse/Median.swift -o "$out/undo_bench"
"$out/undo_bench"
"$out/raster_bench"
echo "building $CONFIGURATION binary…"
nice swift build -c "$CONFIGURATION" --product sketchface 2>&1 | tail -1
.venv/bin/python bench/abuse/abuse.py --configuration "$CONFIGURATION" --duration "$DURATION"
