"""Print the runtime benchmark: Swift stages, PyTorch stages, ratios, GFLOP/s vs sgemm peak, RSS, targets."""
import json
import sys

swift = json.load(open(sys.argv[1]))
torch_ = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else {"stages": {}}
swift1 = json.load(open(sys.argv[3])) if len(sys.argv) > 3 else None
torch1 = json.load(open(sys.argv[4])) if len(sys.argv) > 4 else None
S, T = swift["stages"], torch_["stages"]
print(f"model {swift['model']}  R={swift['resolution']}  sketches={swift['sketches']}  iterations={swift['iterations']}  "
      f"BLAS threads={swift['threads']}  torch threads={torch_.get('threads', '-')}")
print(f"{'stage':32} {'swift p50':>10} {'p95':>8} {'torch p50':>10} {'p95':>8} {'swift/torch':>11}" + ("  1-thread p50" if swift1 else "")
      + ("  torch 1-thread p50" if torch1 else ""))
for name in sorted(S, key=lambda n: (n.split(" ")[0], n)):
    s, t = S[name], T.get(name)
    ratio = f"{s['p50_ms'] / t['p50_ms']:11.2f}" if t else f"{'':11}"
    tt = f"{t['p50_ms']:10.2f} {t['p95_ms']:8.2f}" if t else f"{'':10} {'':8}"
    one = f"  {swift1['stages'][name]['p50_ms']:10.2f}" if swift1 else ""
    t1 = torch1["stages"].get(name) if torch1 else None
    one += f"  {t1['p50_ms']:15.2f}" if t1 else ""
    print(f"{name:32} {s['p50_ms']:10.2f} {s['p95_ms']:8.2f} {tt} {ratio}{one}")
def networks(st):
    keys = [k for k in st if k.split(" ")[0] in ("encode", "mapping", "generator")]
    return sum(st[k]["p50_ms"] for k in keys) if len(keys) == 11 else float("nan")
if T:
    print(f"networks only (sum of encode + mapping + generator p50s): swift {networks(S):.1f} ms, torch {networks(T):.1f} ms, "
          f"ratio {networks(S) / networks(T):.2f}")
print(f"sgemm peak (1024³, {swift['threads']} threads): {swift['sgemm_peak_gflops']:.1f} GFLOP/s")
print(f"conv layers achieved: {swift['conv_gflops']:.1f} GFLOP/s = {100 * swift['conv_gflops'] / swift['sgemm_peak_gflops']:.0f}% of peak; "
      f"convs are {100 * swift['conv_share_of_pipeline_time']:.0f}% of network time")
print(f"FLOPs: full pipeline networks {swift['pipeline_gflop']:.2f} GFLOP, generator {swift['generator_gflop']:.2f} GFLOP "
      f"→ at sgemm peak the networks need ≥ {1000 * swift['pipeline_gflop'] / swift['sgemm_peak_gflops']:.1f} ms")
print("generator ms by op: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(swift["generator_ms_by_kind"].items(), key=lambda kv: -kv[1])))
rss = swift["rss_mb"]
print(f"RSS: {rss['model_loaded']:.0f} MB with the model loaded, {rss['after_warmup']:.0f} MB after the first synthesis "
      f"(workspace {swift['workspace_mb']:.0f} MB), peak {rss['peak']:.0f} MB; load {swift['load_seconds'] * 1000:.0f} ms")
for run in [r for r in (swift, swift1) if r]:
    c = run["concurrency"]
    print(f"full syntheses with BLAS threads={run['threads']}: 1 worker {c['workers1_per_second']:.2f}/s (p50 {c['workers1_p50_ms']:.0f} ms), "
          f"2 concurrent workers {c['workers2_per_second']:.2f}/s (p50 {c['workers2_p50_ms']:.0f} ms)")
parts = [n for n in S if n.startswith("shadow path ") and not n.endswith("remainder")]
worst_shadow = max(S[n]["p95_ms"] for n in parts)
full = S["full synthesis"]["p50_ms"]
ratio = full / T["full synthesis"]["p50_ms"] if "full synthesis" in T else float("nan")
print("targets:")
print(f"  shadow path, one part component, p95 ≤ 10 ms: worst part {worst_shadow:.2f} ms "
      f"(remainder {S['shadow path remainder']['p95_ms']:.2f} ms)  {'OK' if worst_shadow <= 10 else 'MISSED'}")
if swift1:
    w1 = max(swift1["stages"][n]["p95_ms"] for n in parts)
    print(f"    with 1 BLAS thread (the server's setting): worst part {w1:.2f} ms "
          f"(remainder {swift1['stages']['shadow path remainder']['p95_ms']:.2f} ms)  {'OK' if w1 <= 10 else 'MISSED'}")
print(f"  full synthesis p50 ≤ 150 ms at 256²: {full:.1f} ms at {swift['resolution']}²  "
      f"{'OK' if full <= 150 else 'MISSED'}{'' if swift['resolution'] == 256 else ' (not the 256² model)'}"
      + (f"; 1 BLAS thread {swift1['stages']['full synthesis']['p50_ms']:.1f} ms" if swift1 else ""))
print(f"  Swift/PyTorch ≤ 0.8 (full synthesis p50): {ratio:.2f}  {'OK' if ratio <= 0.8 else 'MISSED'}"
      + (f"; 1 thread each: {swift1['stages']['full synthesis']['p50_ms'] / torch1['stages']['full synthesis']['p50_ms']:.2f}"
         if swift1 and torch1 and 'full synthesis' in torch1['stages'] else ""))
print(f"  RSS ≤ 400 MB with the model loaded: {rss['after_warmup']:.0f} MB  {'OK' if rss['after_warmup'] <= 400 else 'MISSED'}")
