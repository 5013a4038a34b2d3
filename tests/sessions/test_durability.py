"""Durability: real server, several real WebSocket clients, `kill -9` mid-drawing, restart, nothing acked lost."""
import contextlib
import json
import random
import threading
import time

import pytest
from websockets.sync.client import connect

from replica import render
from sketchserver import SketchServer


class Client:
    """Draws strokes until stopped; records every op it saw and every ack it got."""

    def __init__(self, server, session, name, seed):
        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(connect(f"{server.ws_base}/ws/{session}", open_timeout=10))
        self.client_id = f"client-{name}-{seed:04d}"
        self.ws.send(json.dumps({"type": "hello", "version": 1, "client": self.client_id, "name": name}))
        welcome = json.loads(self.ws.recv(timeout=10))
        assert welcome["type"] == "welcome", welcome
        self.token = welcome["token"]   # needed to rejoin as this client id
        self.rng = random.Random(seed)
        self.ops, self.acks = {}, set()
        self.answered = set()   # refs the server answered (ack or error): the quiet point waits for the last one
        self.stop_drawing = threading.Event()
        self.ref, self.stroke = 0, 0
        self.drawer = None
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def start_drawing(self):
        self.stop_drawing.clear()
        self.drawer = threading.Thread(target=self.draw, daemon=True)
        self.drawer.start()

    def stop(self):
        self.stop_drawing.set()
        self.drawer.join(timeout=10)

    def settled(self):
        """The last message this client sent was answered, and every op it authored is acknowledged (without the
        first part the quiet point could fall between its last two messages, e.g. a stroke.end and an undo)."""
        return (self.ref == 0 or self.ref in self.answered) and \
            all(seq in self.acks for seq, op in list(self.ops.items()) if op["author"] == self.client_id)

    def read(self):
        try:
            for text in self.ws:
                m = json.loads(text)
                if m["type"] == "op":
                    self.ops[m["seq"]] = m
                elif m["type"] == "ack":
                    self.acks.add(m["seq"])
                    self.answered.add(m.get("ref"))
                elif m["type"] == "error":
                    self.answered.add(m.get("ref"))
        except Exception:
            pass   # the server was killed

    def draw(self):
        ref, stroke = self.ref, self.stroke
        try:
            while not self.stop_drawing.is_set():
                stroke += 1
                ref += 1
                self.ws.send(json.dumps({"type": "stroke.begin", "id": stroke, "tool": self.rng.choice(["pen", "pen", "eraser"]),
                                         "width": self.rng.choice([2, 4, 7.5]), "ref": ref}))
                x, y = self.rng.uniform(40, 470), self.rng.uniform(40, 470)
                for _ in range(4):
                    points = []
                    for _ in range(3):
                        x = min(511, max(1, x + self.rng.uniform(-12, 12)))
                        y = min(511, max(1, y + self.rng.uniform(-12, 12)))
                        points.append({"x": round(x, 2), "y": round(y, 2), "p": round(self.rng.random(), 3)})
                    ref += 1
                    self.ws.send(json.dumps({"type": "stroke.points", "id": stroke, "points": points, "ref": ref}))
                    time.sleep(0.004)
                ref += 1
                self.ws.send(json.dumps({"type": "stroke.end", "id": stroke, "ref": ref}))
                if stroke % 5 == 0:
                    ref += 1
                    self.ws.send(json.dumps({"type": "undo", "ref": ref}))
        except Exception:
            pass   # the server was killed mid-send
        self.ref, self.stroke = ref, stroke


def snapshot(server, session, client_id="client-inspector"):
    with connect(f"{server.ws_base}/ws/{session}", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "version": 1, "client": client_id}))
        while True:
            m = json.loads(ws.recv(timeout=10))
            if m["type"] == "welcome":
                welcome = m
                while m["more"]:   # long histories come in pages the client asks for
                    ws.send(json.dumps({"type": "snapshot", "after": welcome["ops"][-1]["seq"]}))
                    m = json.loads(ws.recv(timeout=10))
                    if m["type"] == "snapshot":
                        welcome["ops"] += m["ops"]
                    else:
                        m = {"more": True}
                return welcome


def wait_for(predicate, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def server(tmp_path):
    s = SketchServer(tmp_path, sessions={"messages_per_second": 100000, "message_burst": 100000}).start()
    yield s
    s.stop()


def test_every_acknowledged_operation_survives_kill_9(server):
    session = server.new_session()
    clients = [Client(server, session, f"c{i}", 100 + i) for i in range(4)]

    # Phase 1: draw, go quiet, wait for every ack: the raster at that point is the reference.
    for c in clients:
        c.start_drawing()
    time.sleep(0.6)
    for c in clients:
        c.stop()
    assert wait_for(lambda: len({max(c.ops) for c in clients}) == 1 and all(c.settled() for c in clients))
    quiet_head = max(clients[0].ops)
    quiet_raster = server.sketch_pgm(session)
    ops_seen = dict(clients[0].ops)
    assert render([ops_seen[s] for s in range(1, quiet_head + 1)]) == quiet_raster, "replica equals server raster"

    # Phase 2: everybody draws again; kill -9 in the middle.
    for c in clients:
        c.start_drawing()
    time.sleep(0.8)
    server.kill9()
    for c in clients:
        c.stop()
    acked = set().union(*(c.acks for c in clients))
    assert len(acked) > 100, f"too few acks to be meaningful ({len(acked)})"
    seen = {}
    for c in clients:
        seen.update(c.ops)

    server.restart()
    welcome = snapshot(server, session)
    restored = {op["seq"]: op for op in welcome["ops"]}
    assert welcome["reset"] is True
    assert sorted(restored) == list(range(1, welcome["head"] + 1))
    missing = sorted(s for s in acked if s not in restored)
    assert not missing, f"acknowledged operations lost: {missing[:10]}"
    for seq in acked:
        assert restored[seq] == seen[seq], f"op {seq} differs after restart"
    assert welcome["head"] >= max(acked)
    print(f"acked {len(acked)}, seen {len(seen)}, restored head {welcome['head']}, quiet head {quiet_head}")

    # Same raster: the restored server raster is the replay of the restored ops, and its prefix up to the
    # quiet point reproduces the raster the server had then.
    after = server.sketch_pgm(session)
    ops = [restored[s] for s in range(1, welcome["head"] + 1)]
    assert render(ops) == after
    assert render(ops[:quiet_head]) == quiet_raster

    # Undo history intact: a client that drew can still undo its latest stroke after the restart.
    author = clients[0].client_id
    with connect(f"{server.ws_base}/ws/{session}", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "version": 1, "client": author, "lastSeq": welcome["head"],
                            "token": clients[0].token}))
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        ws.send(json.dumps({"type": "undo", "ref": 1}))
        while True:
            m = json.loads(ws.recv(timeout=10))
            if m["type"] == "op":
                assert m["kind"] == "undo" and m["seq"] == welcome["head"] + 1
                assert restored[m["target"]]["author"] == author
                break
            assert m["type"] != "error", m
