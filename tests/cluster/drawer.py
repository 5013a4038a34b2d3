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
        self.ack_times = []      # (time, seq, node) of every ack
        self.logged = set()      # seqs a welcome or snapshot delivered: read back from the session's log
        self.held_ref = 0        # the latest welcome's lastRef: the session holds every ref of ours up to it
        self.sent_at = {}        # ref → time the message was sent (stroke.begin refs: stroke → op latency)
        self.latencies = []      # seconds from a stroke.begin send to its op coming back
        self.nodes = []          # (time, node id) of every connection
        self.closes = []         # (time, close code) of every connection that ended
        self.errors = []         # why connections ended, for failure messages
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

    def __repr__(self):
        with self.lock:
            pending = [(seq, op["kind"], op.get("ref")) for seq, op in sorted(self.ops.items())
                       if op.get("author") == self.client_id and not self.confirmed(seq, op)]
        return (f"<{self.client_id} on {self.node()}: {len(self.ops)} ops, {len(self.acked)} acked, ref {self.ref}, "
                f"unconfirmed {pending[:4]}, nodes {[n for _, n in self.nodes[-3:]]}, closes {self.closes[-2:]}, "
                f"errors {self.errors[-1:]}>")

    def node(self):
        return self.nodes[-1][1] if self.nodes else None

    def replica(self):
        with self.lock:
            return [self.ops[s] for s in sorted(self.ops)]

    def confirmed(self, seq, op):
        """The op is known to be stored: acknowledged, read back from the log, or covered by a welcome's `lastRef`
        (an op whose node died or handed the session over before its ack went out is never acknowledged)."""
        return seq in self.acked or seq in self.logged or (op.get("ref") or 0) <= self.held_ref and "ref" in op

    def settled(self):
        """Every op this client authored in its replica is confirmed (nothing of its own is in flight)."""
        with self.lock:
            return all(self.confirmed(seq, op) for seq, op in self.ops.items() if op.get("author") == self.client_id)

    def acks_from(self, node, since=0):
        """How many acks came from `node` (or, for node None, from any node) after `since`."""
        return sum(1 for t, _, n in list(self.ack_times) if t > since and (node is None or n == node))

    # -- the client thread --
    def run(self):
        while not self.stopped.is_set():
            try:
                self.session()
            except Exception as error:
                self.errors.append(repr(error)[:200])
            if self.ws is not None:
                self.closes.append((time.time(), self.ws.close_code))
                self.ws = None
            time.sleep(0.05)

    def session(self):
        hello = {"type": "hello", "version": 1, "client": self.client_id, "name": "drawer", "lastSeq": self.head}
        if self.token:
            hello["token"] = self.token
        with connect(self.url, open_timeout=5, close_timeout=1) as ws:
            self.ws = ws
            self.nodes.append((time.time(), ws.response.headers.get("X-SketchFace-Node")))
            self.draw(hello)

    def draw(self, hello):
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
            if kind in ("welcome", "snapshot"):   # the join snapshot and its further pages
                if kind == "welcome":
                    self.token = m.get("token") or self.token
                    self.held_ref = m.get("lastRef", 0)
                    if m.get("reset"):
                        self.ops = {}
                for op in m["ops"]:
                    self.ops[op["seq"]] = op
                    self.logged.add(op["seq"])
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
                self.ack_times.append((time.time(), m["seq"], self.node()))
