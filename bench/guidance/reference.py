"""Prints the runtime-bench figures the guidance latencies compare with (runtime-bench JSON on stdin)."""
import json
import sys

d = json.load(sys.stdin)
s = d["stages"]
print(f"reference (runtime-bench, 1 BLAS thread, same run): full synthesis + face PNG p50 "
      f"{s['full synthesis + face png']['p50_ms']:.0f} ms, generator p50 {s['generator']['p50_ms']:.0f} ms, "
      f"encode remainder p50 {s['encode remainder']['p50_ms']:.1f} ms, sgemm peak now {d['sgemm_peak_gflops']:.0f} GFLOP/s")
