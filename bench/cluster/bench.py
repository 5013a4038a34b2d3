"""Cluster figures (docs/SCALING.md): PostgreSQL, 1-3 nodes and HAProxy on loopback, guidance off.

1. Throughput and latency: `--sessions` sessions, one drawer each (a stroke of 5 messages every 1/`--rate` s),
   spread over 1, 2 and 3 nodes, through the proxy and directly to the owning node: acknowledged ops/s (all
   sessions) and stroke→op latency p50/p95 (stroke.begin sent → its op back).
2. Failover: one session drawn in through the proxy; `--kills` times kill -9 its owner, restart it; the time from
   the kill to the first ack from the new owner (p50/p95), and every op acknowledged before each kill checked in
   the final log (lost acks, must be 0).

    .venv/bin/python bench/cluster/bench.py [--seconds 8] [--kills 10] [--binary .build/release/sketchface]
"""
import argparse
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests" / "cluster")]
from cluster import Cluster, new_session, wait_until   # noqa: E402
from drawer import Drawer                 # noqa: E402


def owner(cluster, session):
    with urllib.request.urlopen(f"{cluster.proxy.base}/s/{session}", timeout=10) as r:
        return r.headers["X-SketchFace-Node"]


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def throughput(cluster, sessions, seconds, rate, direct):
    ids = [new_session(cluster.proxy.base) for _ in range(sessions)]
    urls = []
    for session in ids:
        if direct:
            node = next(n for n in cluster.nodes.values() if n.id == owner(cluster, session))
            urls.append(f"ws://127.0.0.1:{node.port}/ws/{session}")
        else:
            urls.append(f"ws://127.0.0.1:{cluster.proxy.port}/ws/{session}")
    drawers = [Drawer(url, f"t{i}", 100 + i, strokes_per_second=rate).start() for i, url in enumerate(urls)]
    try:
        wait_until(lambda: all(d.acked for d in drawers), 20, "first acks")
        start, acked = time.time(), sum(len(d.acked) for d in drawers)
        for d in drawers:
            d.latencies.clear()
        time.sleep(seconds)
        elapsed, done = time.time() - start, sum(len(d.acked) for d in drawers)
        latencies = [x for d in drawers for x in d.latencies]
        nodes = len({d.node() for d in drawers})
    finally:
        for d in drawers:
            d.close()
    return (done - acked) / elapsed, percentile(latencies, 0.5) * 1000, percentile(latencies, 0.95) * 1000, nodes


def failover(cluster, kills):
    session = new_session(cluster.proxy.base)
    drawer = Drawer(f"ws://127.0.0.1:{cluster.proxy.port}/ws/{session}", "f", 7).start()
    times, acked_before = [], {}
    try:
        for _ in range(kills):
            wait_until(lambda: drawer.acks_from(drawer.node(), time.time() - 0.5) > 3, 30, "drawing", lambda: drawer)
            victim = next(n for n in cluster.nodes.values() if n.id == drawer.node())
            victim.kill9()
            killed_at = time.time()
            with drawer.lock:
                acked_before.update(drawer.acked)
            wait_until(lambda: drawer.node() != victim.id and drawer.acks_from(drawer.node(), killed_at) > 0, 60,
                       "the new owner's first ack", lambda: drawer)
            first = min(t for t, _, n in drawer.ack_times if t > killed_at and n == drawer.node())
            times.append(first - killed_at)
            victim.stop()
            victim.start()
        drawer.pause()
        wait_until(drawer.settled, 20, "the drawer to settle", lambda: drawer)
        with drawer.lock:
            lost = [seq for seq, op in acked_before.items() if drawer.ops.get(seq) != op]
    finally:
        drawer.close()
    return times, lost, len(acked_before)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(ROOT / ".build/release/sketchface"))
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--rate", type=float, default=10, help="strokes per second per drawer")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--lease", type=int, default=3, help="storage.lease_seconds")
    args = parser.parse_args()
    print(f"{args.sessions} sessions x 1 drawer, {args.rate:g} strokes/s each (5 messages a stroke), guidance off, "
          f"{args.seconds:g} s per row, lease {args.lease} s")
    print(f"{'nodes':>5} {'path':>6} {'acked ops/s':>12} {'p50 ms':>8} {'p95 ms':>8} {'nodes used':>10}")
    for count in (1, 2, 3):
        with tempfile.TemporaryDirectory() as state:
            cluster = Cluster(args.binary, state, count=count, lease_seconds=args.lease, log_level="warning")
            try:
                cluster.start()
                for direct in (False, True):
                    rate, p50, p95, used = throughput(cluster, args.sessions, args.seconds, args.rate, direct)
                    print(f"{count:>5} {'direct' if direct else 'proxy':>6} {rate:>12.0f} {p50:>8.1f} {p95:>8.1f} {used:>10}", flush=True)
            finally:
                cluster.close()
    if args.kills == 0:
        return
    with tempfile.TemporaryDirectory() as state:
        cluster = Cluster(args.binary, state, count=3, lease_seconds=args.lease, log_level="warning")
        try:
            cluster.start()
            times, lost, acked = failover(cluster, args.kills)
        finally:
            cluster.close()
    print(f"failover over {len(times)} kill -9: kill → first ack on the new owner p50 {percentile(times, 0.5):.2f} s, "
          f"p95 {percentile(times, 0.95):.2f} s, max {max(times):.2f} s; acknowledged before the kills {acked}, lost {len(lost)}")
    print("failover times (s): " + " ".join(f"{t:.2f}" for t in times))


if __name__ == "__main__":
    main()
