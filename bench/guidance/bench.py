"""Guidance latency and fairness against the real server (see run.sh).

Scenarios:
  1x1  one session, one participant draws strokes one at a time (next stroke after the face arrived);
  1x4  one session, four participants, one draws: latency measured at every participant;
  8x1  eight sessions draw at once, a stroke every --pace seconds each, for --seconds.
Figures: stroke end → shadow received and stroke end → frame received (p50/p95 in ms), frames per session per
minute, server RSS. A stroke's shadow is the first shadow reflecting its pixels (seq ≥ its points op); its
frame is the first face reflecting its end (seq ≥ its end op); under load one face may cover several strokes.
"""
import argparse
import json
import math
import random
import sys
import threading
import time
from pathlib import Path

import websocket

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "guidance"))

from guidedserver import decode, guided_server  # noqa: E402

STROKES = json.loads((ROOT / "tests" / "guidance" / "face_strokes.json").read_text())
FACE = STROKES["strokes"] + STROKES["further"]


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


class Client:
    """One participant: a WebSocket and a receiver thread recording (time, message) for every message."""

    def __init__(self, server, session, name):
        self.ws = websocket.create_connection(f"{server.ws_base}/ws/{session}", timeout=30)
        self.ws.send(json.dumps({"type": "hello", "version": 1, "client": f"bench-{name}", "name": name}))
        self.lock = threading.Lock()
        self.ops = {}        # ref → seq (own ops)
        self.shadows = []    # (t, seq)
        self.frames = []     # (t, seq, number)
        self.head = 0
        self.closed = False
        self.ref = 0
        self.thread = threading.Thread(target=self.receive, daemon=True)
        self.thread.start()

    def receive(self):
        while not self.closed:
            try:
                message = self.ws.recv()
            except Exception:
                return
            now = time.perf_counter()
            if not message:   # the connection closed
                return
            if isinstance(message, bytes):
                decoded = decode(message)
                with self.lock:
                    if decoded and decoded[0] == "shadow":
                        self.shadows.append((now, decoded[3]))
                    elif decoded and decoded[0] == "frame":
                        self.frames.append((now, decoded[1], decoded[2]))
                continue
            m = json.loads(message)
            if m.get("type") == "op":
                with self.lock:
                    self.head = max(self.head, m["seq"])
                    if "ref" in m:
                        self.ops[m["ref"]] = m["seq"]

    def send(self, message):
        self.ref += 1
        message["ref"] = self.ref
        self.ws.send(json.dumps(message))
        return self.ref

    def stroke(self, stroke_id, stroke, dx=0.0, dy=0.0):
        """Sends one stroke (begin, its points in one batch, end); returns (points ref, end ref, t_end)."""
        pts = [{"x": min(511.0, max(0.0, x + dx)), "y": min(511.0, max(0.0, y + dy))} for x, y in stroke["points"]]
        self.send({"type": "stroke.begin", "id": stroke_id, "tool": "pen", "width": stroke["width"]})
        points_ref = self.send({"type": "stroke.points", "id": stroke_id, "points": pts})
        end_ref = self.send({"type": "stroke.end", "id": stroke_id})
        return points_ref, end_ref, time.perf_counter()

    def seq_of(self, ref, timeout=10):
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                if ref in self.ops:
                    return self.ops[ref]
            time.sleep(0.001)
        raise TimeoutError(f"op for ref {ref} never came back")

    def wait_frame(self, seq, timeout=20):
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                if self.frames and self.frames[-1][1] >= seq:
                    return True
            time.sleep(0.002)
        return False

    def first_after(self, kind, seq, t0):
        """Latency (ms) from t0 to the first message of `kind` reflecting seq, or None."""
        with self.lock:
            items = list(self.shadows if kind == "shadow" else self.frames)
        for item in items:
            if item[1] >= seq and item[0] >= t0 - 0.5:
                return (item[0] - t0) * 1000
        return None

    def close(self):
        self.closed = True
        try:
            self.ws.close()
        except Exception:
            pass


def sequential(server, participants, strokes):
    """One drawer, `participants` receivers in total; strokes one at a time. Returns (shadow ms, frame ms)."""
    session = server.new_session()
    clients = [Client(server, session, f"p{i}") for i in range(participants)]
    drawer = clients[0]
    for c in clients:
        assert c.wait_frame(0), "no default face"
    shadow_ms, frame_ms = [], []
    rng = random.Random(1)
    for i in range(strokes):
        stroke = FACE[i % len(FACE)]
        if i and i % len(FACE) == 0:
            ref = drawer.send({"type": "clear"})
            drawer.wait_frame(drawer.seq_of(ref))
        points_ref, end_ref, t_end = drawer.stroke(i + 1, stroke, rng.uniform(-6, 6), rng.uniform(-6, 6))
        points_seq, end_seq = drawer.seq_of(points_ref), drawer.seq_of(end_ref)
        for c in clients:
            if not c.wait_frame(end_seq):
                raise TimeoutError(f"no frame for seq {end_seq}")
        for c in clients:
            s = c.first_after("shadow", points_seq, t_end)
            f = c.first_after("frame", end_seq, t_end)
            if s is not None:
                shadow_ms.append(s)
            frame_ms.append(f)
        time.sleep(0.05)
    for c in clients:
        c.close()
    return shadow_ms, frame_ms


def concurrent(server, sessions, seconds, pace):
    """`sessions` sessions, one drawer each, a stroke every `pace` s for `seconds`. Per-session figures."""
    clients = [Client(server, server.new_session(), f"s{i}") for i in range(sessions)]
    for c in clients:
        assert c.wait_frame(0), "no default face"
    start_frames = [len(c.frames) for c in clients]
    sent = [[] for _ in clients]   # (points_ref, end_ref, t_end)
    rss = [server.rss_kib()]
    t_start = time.perf_counter()
    n = 0
    rng = random.Random(2)
    while time.perf_counter() - t_start < seconds:
        tick = time.perf_counter()
        order = list(range(len(clients)))
        rng.shuffle(order)   # no session always first: the fairness figure measures the scheduler, not the client
        for k in order:
            c = clients[k]
            if n and n % len(FACE) == 0:
                c.send({"type": "clear"})
            sent[k].append(c.stroke(n + 1, FACE[n % len(FACE)], rng.uniform(-6, 6), rng.uniform(-6, 6)))
        n += 1
        if n % 20 == 0:
            rss.append(server.rss_kib())
        time.sleep(max(0.0, pace - (time.perf_counter() - tick)))
    elapsed = time.perf_counter() - t_start
    last_end = [c.seq_of(s[-1][1]) for c, s in zip(clients, sent)]
    for c, seq in zip(clients, last_end):
        c.wait_frame(seq, timeout=30)
    rss.append(server.rss_kib())
    rows = []
    for k, c in enumerate(clients):
        shadow_ms, frame_ms = [], []
        for points_ref, end_ref, t_end in sent[k]:
            s = c.first_after("shadow", c.seq_of(points_ref), t_end)
            f = c.first_after("frame", c.seq_of(end_ref), t_end)
            if s is not None:
                shadow_ms.append(s)
            if f is not None:
                frame_ms.append(f)
        frames = len(c.frames) - start_frames[k]
        rows.append({"strokes": len(sent[k]), "frames": frames, "per_min": frames / elapsed * 60,
                     "shadow": shadow_ms, "frame": frame_ms,
                     "last_ok": bool(c.frames) and c.frames[-1][1] >= last_end[k]})
    for c in clients:
        c.close()
    return rows, elapsed, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--strokes", type=int, default=40)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--pace", type=float, default=0.5, help="seconds between strokes per session in the 8-session run")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--blas-threads", type=int, default=1)
    ap.add_argument("--skip-concurrent", action="store_true", help="only the one-session scenarios")
    ap.add_argument("--configuration", default="release")
    args = ap.parse_args()

    import tempfile
    server = guided_server(tempfile.mkdtemp(prefix="guidance-bench-"), model=args.model, configuration=args.configuration,
                           guidance={"workers": args.workers, "blas_threads": args.blas_threads}, sessions={"messages_per_second": 100000, "message_burst": 100000},
                           log_level="warning")
    server.start()
    try:
        manifest = json.loads((Path(args.model) / "manifest.json").read_text())
        r = manifest["resolution"]
        print(f"model {args.model} ({r}²), server {server.exe.parent.name} build, {args.workers} guidance workers, "
              f"{args.blas_threads} BLAS thread(s)")
        print(f"{'scenario':<28}{'shadow p50':>11}{'p95':>8}{'frame p50':>11}{'p95':>8}   (ms, stroke end → received)")
        for participants in (1, 4):
            shadow_ms, frame_ms = sequential(server, participants, args.strokes)
            print(f"{f'1 session × {participants} participant(s)':<28}{pct(shadow_ms, 50):>11.1f}{pct(shadow_ms, 95):>8.1f}"
                  f"{pct(frame_ms, 50):>11.1f}{pct(frame_ms, 95):>8.1f}   n={len(frame_ms)}")
        if args.skip_concurrent:
            return
        rows, elapsed, rss = concurrent(server, args.sessions, args.seconds, args.pace)
        all_shadow = [x for row in rows for x in row["shadow"]]
        all_frame = [x for row in rows for x in row["frame"]]
        print(f"{f'{args.sessions} sessions at once':<28}{pct(all_shadow, 50):>11.1f}{pct(all_shadow, 95):>8.1f}"
              f"{pct(all_frame, 50):>11.1f}{pct(all_frame, 95):>8.1f}   "
              f"({elapsed:.0f} s, a stroke every {args.pace} s per session)")
        per_min = [row["per_min"] for row in rows]
        print("  frames per session per minute: " + " ".join(f"{x:.0f}" for x in per_min)
              + f"  (min/max {min(per_min) / max(per_min):.2f})")
        print("  strokes per session: " + " ".join(str(row["strokes"]) for row in rows)
              + "; last face reflects the last stroke in every session: " + str(all(row["last_ok"] for row in rows)))
        print(f"  server RSS during the run: start {rss[0] / 1024:.0f} MiB, max {max(rss) / 1024:.0f} MiB, "
              f"end {rss[-1] / 1024:.0f} MiB")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
