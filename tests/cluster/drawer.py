"""A session client for cluster tests and benchmarks: draws strokes through one URL (the proxy), reconnects on any
close with `lastSeq` and its token, and records what it saw: every op (by seq), every ack, the node it was on."""
import json
import random
import threading
import time

from websockets.sync.client import connect


class Drawer:
    def __init__(self, ws_url, name, seed, strokes_per_second=20):
        self.url, self.client_id = ws_url, f"drawer-{name}-{seed:04d}"
        self.rng = random.Random(seed)
        self.period = 1 / strokes_per_second
        self.lock = threading.Lock()
        self.ops = {}            # seq → op, the replica (reset when a welcome says so)
        self.acked = {}          # seq → the op acknowledged with it, kept across resets
        self.ack_times = []      # (time, seq)
        self.sent_at = {}        # ref → time the message was sent (stroke.begin refs: stroke → op latency)
        self.latencies = []      # seconds from a stroke.begin send to its op coming back
        self.nodes = []          # (time, node id) of every connection
        self.closes = []         # (time, close code) of every connection that ended
        self.token, self.ws, self.ref, self.stroke = None, None, 0, 0
        self.drawing = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    # -- control (test thread) --
    def start(self, drawing=True):
        if drawing:
            self.drawing.set()
        self.thread.start()
        return self

    def pause(self):
        self.drawing.clear()

    def resume(self):
        self.drawing.set()

    def close(self):
        self.stopped.set()
        self.thread.join(timeout=20)

    @property
    def head(self):
        with self.lock:
            return max(self.ops, default=0)

    def node(self):
        return self.nodes[-1][1] if self.nodes else None

    def replica(self):
        with self.lock:
            return [self.ops[s] for s in sorted(self.ops)]

    def settled(self):
        """Every op this client authored in its replica is acknowledged (nothing of its own is in flight)."""
        with self.lock:
            return all(seq in self.acked for seq, op in self.ops.items() if op.get("author") == self.client_id)

    # -- the client thread --
    def run(self):
        while not self.stopped.is_set():
            try:
                self.session()
            except Exception:
                pass
            if self.ws is not None:
                self.closes.append((time.time(), self.ws.close_code))
                self.ws = None
            time.sleep(0.05)

    def session(self):
        hello = {"type": "hello", "version": 1, "client": self.client_id, "name": "drawer", "lastSeq": self.head}
        if self.token:
            hello["token"] = self.token
        self.ws = connect(self.url, open_timeout=5, close_timeout=1)
        self.nodes.append((time.time(), self.ws.response.headers.get("X-SketchFace-Node")))
        self.ws.send(json.dumps(hello))
        self.receive(timeout=5, until_welcome=True)
        open_stroke, points_left = None, 0
        next_stroke = time.time()
        while not self.stopped.is_set():
            now = time.time()
            if self.drawing.is_set() and now >= next_stroke:
                if open_stroke is None:
                    self.stroke += 1
                    open_stroke, points_left = self.stroke, 3
                    self.send({"type": "stroke.begin", "id": open_stroke, "tool": "pen",
                               "width": self.rng.choice([2, 4, 7.5])}, timed=True)
                    self.x, self.y = self.rng.uniform(40, 470), self.rng.uniform(40, 470)
                elif points_left > 0:
                    points = []
                    for _ in range(3):
                        self.x = min(511, max(1, self.x + self.rng.uniform(-12, 12)))
                        self.y = min(511, max(1, self.y + self.rng.uniform(-12, 12)))
                        points.append({"x": round(self.x, 2), "y": round(self.y, 2), "p": round(self.rng.random(), 3)})
                    self.send({"type": "stroke.points", "id": open_stroke, "points": points})
                    points_left -= 1
                else:
                    self.send({"type": "stroke.end", "id": open_stroke})
                    open_stroke = None
                    next_stroke = now + self.period
            elif open_stroke is not None and not self.drawing.is_set():
                self.send({"type": "stroke.end", "id": open_stroke})
                open_stroke = None
            self.receive(timeout=0.005)
        self.ws.close()

    def send(self, message, timed=False):
        self.ref += 1
        message["ref"] = self.ref
        if timed:
            self.sent_at[self.ref] = time.time()
        self.ws.send(json.dumps(message))

    def receive(self, timeout, until_welcome=False):
        deadline = time.time() + timeout
        while True:
            try:
                text = self.ws.recv(timeout=max(0, deadline - time.time()))
            except TimeoutError:
                if until_welcome:
                    raise
                return
            if isinstance(text, bytes):
                continue
            m = json.loads(text)
            self.handle(m)
            if until_welcome and m["type"] == "welcome" and not m.get("more"):
                return
            if until_welcome and m["type"] == "snapshot" and not m.get("more"):
                return

    def handle(self, m):
        kind = m["type"]
        with self.lock:
            if kind == "welcome":
                self.token = m.get("token") or self.token
                if m.get("reset"):
                    self.ops = {}
                for op in m["ops"]:
                    self.ops[op["seq"]] = op
                if m.get("more"):
                    self.ws.send(json.dumps({"type": "snapshot", "after": m["ops"][-1]["seq"]}))
            elif kind == "snapshot":
                for op in m["ops"]:
                    self.ops[op["seq"]] = op
                if m.get("more"):
                    self.ws.send(json.dumps({"type": "snapshot", "after": m["ops"][-1]["seq"]}))
            elif kind == "op":
                self.ops[m["seq"]] = m
                sent = self.sent_at.pop(m.get("ref"), None) if m.get("author") == self.client_id else None
                if sent is not None:
                    self.latencies.append(time.time() - sent)
            elif kind == "ack":
                op = self.ops.get(m["seq"])
                if op is not None:
                    self.acked[m["seq"]] = op
                self.ack_times.append((time.time(), m["seq"]))
