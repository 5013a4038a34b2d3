"""S sessions × C clients replaying strokes.json against the real server (release build).

Every client draws the recorded strokes in a loop, sending a `stroke.points` batch per frame at --fps. Measures
broadcast latency (a client's send → another participant receives the op; all clients share one clock),
acknowledged operations per second, and server RSS. Bounded by --duration.
"""
import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "sessions"))
from sketchserver import SketchServer  # noqa: E402

STROKES = json.loads((Path(__file__).with_name("strokes.json")).read_text())["strokes"]


class Stats:
    def __init__(self, t0, t1):
        self.sent = {}          # (client, ref) -> send time
        self.latencies = []
        self.acks = 0
        self.errors = 0
        self.t0, self.t1 = t0, t1   # the measuring window (time.monotonic, shared by all processes)

    def measuring(self, now):
        return self.t0 <= now <= self.t1


async def client(url, index, stats, fps, points_per_batch):
    me = f"bench-{index:06d}"
    async with websockets.connect(url, max_size=None, open_timeout=30) as ws:
        await ws.send(json.dumps({"type": "hello", "version": 1, "client": me, "name": me}))
        while json.loads(await ws.recv())["type"] != "welcome":
            pass

        async def reader():
            async for text in ws:
                now = time.monotonic()
                m = json.loads(text)
                t = m.get("type")
                if t == "op":
                    ref = m.get("ref")
                    if m["author"] != me and ref is not None:
                        sent = stats.sent.get((m["author"], ref))
                        if sent is not None and stats.measuring(sent):
                            stats.latencies.append(now - sent)
                elif t == "ack":
                    if stats.measuring(now):
                        stats.acks += 1
                elif t == "error":
                    stats.errors += 1

        read_task = asyncio.create_task(reader())
        ref, stroke_id = 0, 0
        frame = 1.0 / fps if fps > 0 else 0.0
        while time.monotonic() < stats.t1:
            for stroke in STROKES:
                if time.monotonic() >= stats.t1:
                    break
                stroke_id += 1
                ref += 1
                stats.sent[(me, ref)] = time.monotonic()
                await ws.send(json.dumps({"type": "stroke.begin", "id": stroke_id, "tool": stroke["tool"], "width": stroke["width"], "ref": ref}))
                pts = stroke["points"]
                for k in range(0, len(pts), points_per_batch):
                    batch = [{"x": x, "y": y, "p": p} for x, y, p, _ in pts[k:k + points_per_batch]]
                    ref += 1
                    stats.sent[(me, ref)] = time.monotonic()
                    await ws.send(json.dumps({"type": "stroke.points", "id": stroke_id, "points": batch, "ref": ref}))
                    await asyncio.sleep(frame)
                ref += 1
                stats.sent[(me, ref)] = time.monotonic()
                await ws.send(json.dumps({"type": "stroke.end", "id": stroke_id, "ref": ref}))
        await asyncio.sleep(0.5)   # let in-flight messages arrive (outside the window: not counted)
        read_task.cancel()


def worker(ws_base, ids, clients, first_index, fps, points_per_batch, t0, t1):
    """One load-generator process: every client of its sessions (so latency is measured within one process)."""
    async def main():
        stats = Stats(t0, t1)
        tasks = [client(f"{ws_base}/ws/{sid}", first_index + s * clients + c, stats, fps, points_per_batch)
                 for s, sid in enumerate(ids) for c in range(clients)]
        await asyncio.gather(*tasks, return_exceptions=True)
        return stats
    cpu0 = time.process_time()
    stats = asyncio.run(main())
    return stats.latencies, stats.acks, stats.errors, time.process_time() - cpu0


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


def run(server, sessions, clients, duration, fps, points_per_batch, warmup, processes):
    ids = [server.new_session() for _ in range(sessions)]
    t0 = time.monotonic() + warmup
    t1 = t0 + duration
    groups = [ids[k::processes] for k in range(processes) if ids[k::processes]]
    with multiprocessing.Pool(len(groups)) as pool:
        pending = pool.starmap_async(worker, [(server.ws_base, g, clients, k * 100000, fps, points_per_batch, t0, t1)
                                              for k, g in enumerate(groups)])
        while time.monotonic() < t0:
            time.sleep(0.05)
        cpu0 = server.cpu_seconds()
        rss_peak = 0
        while time.monotonic() < t1:
            time.sleep(0.5)
            rss_peak = max(rss_peak, server.rss_kib())
        server_cpu = (server.cpu_seconds() - cpu0) / duration
        results = pending.get(timeout=duration + warmup + 120)
    latencies = [x for r in results for x in r[0]]
    return {"latencies": latencies, "acks": sum(r[1] for r in results), "errors": sum(r[2] for r in results),
            "client_cpu": sum(r[3] for r in results) / (duration + warmup), "server_cpu": server_cpu, "rss_peak": rss_peak}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sessions", type=int, default=1)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--fps", type=float, default=30, help="point batches per second per drawing client (0: as fast as possible)")
    ap.add_argument("--points-per-batch", type=int, default=4)
    ap.add_argument("--no-group-commit", action="store_true", help="one SQLite transaction per operation")
    ap.add_argument("--configuration", default="release")
    ap.add_argument("--processes", type=int, default=2, help="load-generator processes (sessions are split between them)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = SketchServer(tmp, configuration=args.configuration, sessions={
            "messages_per_second": 100000, "message_burst": 100000, "group_commit": not args.no_group_commit}).start()
        try:
            rss_idle = server.rss_kib()
            r = run(server, args.sessions, args.clients, args.duration, args.fps, args.points_per_batch, args.warmup,
                    max(1, min(args.processes, args.sessions)))
        finally:
            server.stop()
    mode = "per-op transactions" if args.no_group_commit else "group commit"
    lat = r["latencies"]
    print(f"S={args.sessions} C={args.clients} ({mode}, {args.fps:g} batches/s/client, {args.duration:g} s): "
          f"broadcast latency p50 {pct(lat, .5):.2f} ms  p95 {pct(lat, .95):.2f} ms  p99 {pct(lat, .99):.2f} ms "
          f"({len(lat)} deliveries); acked ops/s {r['acks'] / args.duration:.0f}; "
          f"server RSS idle {rss_idle / 1024:.1f} MiB, peak {r['rss_peak'] / 1024:.1f} MiB; "
          f"CPU server {r['server_cpu'] * 100:.0f}% / load generators {r['client_cpu'] * 100:.0f}%; errors {r['errors']}")


if __name__ == "__main__":
    main()
