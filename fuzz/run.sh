#!/usr/bin/env bash
# Builds the libFuzzer targets into fuzz/bin/ and runs each for N seconds on a copy of its seed corpus.
#
#   fuzz/run.sh [seconds] [target...]     default: 60 s each when CI=true, else 20 s; all targets
#
# Each target checks logic invariants (chunked vs whole input, round trips), not only crashes. Exits
# non-zero on any crash, leak, timeout or invariant failure; the failing input is left in
# fuzz/corpus-run/artifacts/. SwiftPM executables clash with -parse-as-library, so targets are compiled
# with swiftc straight from the module sources plus one entry file each.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -ge 1 && "$1" =~ ^[0-9]+$ ]]; then
    seconds=$1; shift
elif [[ "${CI:-}" == "true" ]]; then
    seconds=60
else
    seconds=20
fi
all_targets=(websocket_frames websocket_connection websocket_handshake http_parser)
targets=("${@:-${all_targets[@]}}")

bin=fuzz/bin
run=fuzz/corpus-run
mkdir -p "$bin" "$run/artifacts"

sources_for() {
    case "$1" in
        websocket_*) echo Sources/WebSocket/*.swift ;;
        http_*) echo Sources/HTTP/*.swift ;;
        *) echo "unknown fuzz target: $1" >&2; exit 2 ;;
    esac
}

build() {
    local name=$1 out=$bin/$1
    local inputs=($(sources_for "$name") fuzz/targets/FuzzSupport.swift "fuzz/targets/$name.swift")
    # Rebuild only when a source is newer than the binary.
    if [[ -x "$out" ]] && [[ -z "$(find "${inputs[@]}" -newer "$out" 2>/dev/null)" ]]; then
        return
    fi
    echo "building $name"
    if ! swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name "fuzz_$name" \
            -I Sources/COpenSSL -lcrypto "${inputs[@]}" -o "$out" >"$bin/$name.build.log" 2>&1; then
        grep -v "ld.gold: warning" "$bin/$name.build.log" >&2
        echo "build of $name failed" >&2
        exit 1
    fi
}

for target in "${targets[@]}"; do build "$target"; done

status=0
for target in "${targets[@]}"; do
    rm -rf "${run:?}/$target"
    mkdir -p "$run/$target"
    cp fuzz/corpus/"$target"/* "$run/$target/" 2>/dev/null || true
    log=$run/$target.log
    echo "fuzzing $target for ${seconds}s"
    # The Swift backtracer would read the stack under ASan after a fatalError; libFuzzer reports enough.
    if SWIFT_BACKTRACE=enable=no "$bin/$target" "$run/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$run/artifacts/$target-" >"$log" 2>&1; then
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
        echo "  ok: $execs executions, $cov, corpus $(ls "$run/$target" | wc -l) inputs"
    else
        status=1
        echo "  FAILED: see $log; reproducer in $run/artifacts/" >&2
        grep -E "ERROR|invariant violated|Fatal error|SUMMARY|Test unit written" "$log" | head -20 >&2 || tail -30 "$log" >&2
    fi
done
exit $status
