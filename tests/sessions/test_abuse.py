"""The server under abuse, on the real binary.

Sessions (issue 10): identity across a restart, bounded work, bounded names, the hello deadline, damaged logs.
The session logic is covered in depth by SessionsTests with in-memory peers; these check the wiring end to end.

The edge (issue 11): a client that pipelines requests and never reads its answers must not make the server hold
its responses (docs/SERVER.md, "Back-pressure").
"""
import json
import os
import socket
import time
import urllib.error
import urllib.request

import pytest
from websockets.sync.client import connect

from sketchserver import SketchServer

CONNECTIONS = 64
PIPELINE_BYTES = 64 * 1024
RSS_LIMIT_MIB = 150


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = SketchServer(tmp_path_factory.mktemp("abuse")).start()
    yield s
    s.stop()


def hello(ws, client, **extra):
    ws.send(json.dumps({"type": "hello", "version": 1, "client": client, **extra}))
    return json.loads(ws.recv(timeout=10))


def test_a_client_id_cannot_be_taken_over_without_its_token_even_after_a_restart(server):
    session = server.new_session()
    with connect(f"{server.ws_base}/ws/{session}", open_timeout=10) as ws:
        welcome = hello(ws, "victim-0001")
        token = welcome["token"]
        ws.send(json.dumps({"type": "stroke.begin", "id": 1, "tool": "pen", "width": 4, "ref": 1}))
        while json.loads(ws.recv(timeout=10)).get("type") != "ack":
            pass
    server.restart()
    with connect(f"{server.ws_base}/ws/{session}", open_timeout=10) as thief:
        refused = hello(thief, "victim-0001")
        assert refused["code"] == "client_taken"
        with pytest.raises(Exception):
            thief.recv(timeout=10)
        assert thief.close_code == 4403
    with connect(f"{server.ws_base}/ws/{session}", open_timeout=10) as ws:
        welcome = hello(ws, "victim-0001", token=token)
        assert welcome["type"] == "welcome" and welcome["lastRef"] == 1


def test_worst_case_stroke_is_refused_cheaply_and_the_server_stays_responsive(server):
    session = server.new_session()
    points = [{"x": 0, "y": 0} if i % 2 == 0 else {"x": 512, "y": 512} for i in range(512)]
    heavy = json.dumps({"type": "stroke.points", "id": 1, "points": points, "ref": 2})
    with connect(f"{server.ws_base}/ws/{session}", open_timeout=10) as ws:
        hello(ws, "attacker-01")
        ws.send(json.dumps({"type": "stroke.begin", "id": 1, "tool": "pen", "width": 64, "ref": 1}))
        started = time.monotonic()
        for _ in range(10):
            ws.send(heavy)
        codes = []
        while len(codes) < 10:
            m = json.loads(ws.recv(timeout=10))
            if m["type"] == "error":
                codes.append(m["code"])
        assert codes == ["limit"] * 10
        assert time.monotonic() - started < 2
        t = time.monotonic()
        with urllib.request.urlopen(server.base + "/", timeout=10) as r:
            assert r.status == 200
        assert time.monotonic() - t < 1
    assert server.sketch_pgm(session)[-512 * 512:] == b"\xff" * 512 * 512


def test_a_name_of_one_huge_grapheme_is_refused(server):
    session = server.new_session()
    with connect(f"{server.ws_base}/ws/{session}", open_timeout=10, max_size=None) as ws:
        refused = hello(ws, "client-zzzz", name="Z" + "\u0301" * 1000)
        assert refused["type"] == "error" and refused["field"] == "name"


def test_an_upgraded_socket_without_hello_is_closed_at_the_deadline(tmp_path):
    s = SketchServer(tmp_path, sessions={"hello_timeout_seconds": 1}).start()
    try:
        session = s.new_session()
        with connect(f"{s.ws_base}/ws/{session}", open_timeout=10) as idle:
            refused = json.loads(idle.recv(timeout=10))
            assert refused["code"] == "hello_required"
            with pytest.raises(Exception):
                idle.recv(timeout=10)
            assert idle.close_code == 4400
    finally:
        s.stop()


def test_a_damaged_log_is_reported_and_read_only_while_other_sessions_work(tmp_path):
    s = SketchServer(tmp_path).start()
    damaged, healthy = s.new_session(), s.new_session()
    for session in (damaged, healthy):
        with connect(f"{s.ws_base}/ws/{session}", open_timeout=10) as ws:
            hello(ws, "client-aaaa")
            for ref in (1, 2, 3):
                ws.send(json.dumps({"type": "clear", "ref": ref}))
            acks = 0
            while acks < 3:
                acks += json.loads(ws.recv(timeout=10))["type"] == "ack"
    s.stop()
    import sqlite3
    db = sqlite3.connect(tmp_path / "state" / "sessions.sqlite")
    db.execute("DELETE FROM ops WHERE session = ? AND seq = 2", (damaged,))
    db.commit()
    db.close()
    s.start()
    try:
        with pytest.raises(urllib.error.HTTPError) as page:
            urllib.request.urlopen(f"{s.base}/s/{damaged}", timeout=10)
        assert page.value.code == 503 and b"damaged" in page.value.read()
        with connect(f"{s.ws_base}/ws/{damaged}", open_timeout=10) as ws:
            assert hello(ws, "client-aaaa")["code"] == "session_damaged"
            with pytest.raises(Exception):
                ws.recv(timeout=10)
            assert ws.close_code == 4500
        with connect(f"{s.ws_base}/ws/{healthy}", open_timeout=10) as ws:
            assert hello(ws, "client-bbbb")["head"] == 3
        assert "marked damaged" in s.logs()
        assert damaged not in s.logs(), "session ids are capabilities: logs show a hash"
    finally:
        s.stop()


def settled_rss_kib(server, seconds=30):
    """The server's RSS once it stops growing (unchanged within 1% for two seconds)."""
    deadline = time.time() + seconds
    previous, stable_since = server.rss_kib(), time.time()
    while time.time() < deadline:
        time.sleep(0.25)
        current = server.rss_kib()
        if abs(current - previous) > previous // 100:
            previous, stable_since = current, time.time()
        elif time.time() - stable_since > 2:
            break
    return server.rss_kib()


def test_pipelining_clients_that_never_read_hold_bounded_memory(tmp_path):
    s = SketchServer(tmp_path, configuration=os.environ.get("SKETCHFACE_ABUSE_BUILD", "debug")).start()
    sockets = []
    try:
        before = s.rss_kib()
        request = b"GET /js/app.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        burst = request * (PIPELINE_BYTES // len(request))
        for _ in range(CONNECTIONS):
            client = socket.socket()
            client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            client.connect(("127.0.0.1", s.port))
            client.setblocking(False)
            try:
                client.send(burst)
            except BlockingIOError:
                pass
            sockets.append(client)
        after = settled_rss_kib(s)
        print(f"RSS {before // 1024} MiB idle, {after // 1024} MiB with {CONNECTIONS} connections each "
              f"pipelining {len(burst)} bytes and never reading")
        assert after <= RSS_LIMIT_MIB * 1024, f"{after // 1024} MiB"
        # Everyone else is still served.
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as other:
            other.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert other.recv(12) == b"HTTP/1.1 200"
    finally:
        for client in sockets:
            client.close()
        s.stop()


def test_closing_with_many_unread_replies_is_prompt(server):
    """Issue 10: a client that drew 600 messages without reading the ops and acks, then closed, took 10 s to close.
    The cause is the Python client's flow control: beyond `max_queue` unread frames it stops reading the socket and
    does not resume to close, so it sees neither the server's close frame nor its FIN until its own 10 s
    `close_timeout` (close code 1006). The server answers the close at once; clients that do not read everything
    (the benchmarks) connect with `max_queue=None`."""
    session = server.new_session()
    with connect(f"{server.ws_base}/ws/{session}", open_timeout=10, max_queue=None) as ws:
        assert hello(ws, "client-close-fast")["type"] == "welcome"
        for sid in range(1, 201):
            ws.send(json.dumps({"type": "stroke.begin", "id": sid, "tool": "pen", "width": 4, "ref": 3 * sid}))
            ws.send(json.dumps({"type": "stroke.points", "id": sid, "ref": 3 * sid + 1,
                                "points": [{"x": 10 + sid, "y": 10}, {"x": 50, "y": 60}]}))
            ws.send(json.dumps({"type": "stroke.end", "id": sid, "ref": 3 * sid + 2}))
        started = time.monotonic()
        ws.close()
        assert time.monotonic() - started < 2
        assert ws.close_code == 1000
