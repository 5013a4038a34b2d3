"""The sessions routes on the real server: /new, /s/<id>, /s/<id>/sketch.pgm, the replay's /s/<id>/history, /ws/<id>,
and their refusals."""
import contextlib
import http.client
import json
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from sketchserver import SketchServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = SketchServer(tmp_path_factory.mktemp("routes"), sessions={"max_sessions": 3, "max_participants": 2}).start()
    yield s
    s.stop()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post(url):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=10) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def test_new_redirects_to_a_fresh_unguessable_session_page(server):
    a, b = server.new_session(), server.new_session()
    assert a != b and len(a) == 22
    status, body = get(f"{server.base}/s/{a}")
    assert status == 200 and b'id="sketch"' in body
    status, body = get(f"{server.base}/s/{a}/sketch.pgm")
    assert status == 200 and body == b"P5\n512 512\n255\n" + b"\xff" * 512 * 512


def test_landing_page_offers_new_sketch(server):
    status, body = get(server.base + "/")
    assert status == 200 and b"New sketch" in body
    assert b'<form method="post" action="/new">' in body


def test_get_and_head_of_new_create_nothing(tmp_path):
    s = SketchServer(tmp_path, sessions={"max_sessions": 1}).start()
    try:
        for method in ("GET", "HEAD"):
            with urllib.request.urlopen(urllib.request.Request(s.base + "/new", method=method), timeout=10) as r:
                assert r.status == 200 and "Location" not in r.headers
        s.new_session()  # the one slot is still free
    finally:
        s.stop()


def test_unknown_session_is_a_404_page_and_a_refused_websocket(server):
    status, body = get(f"{server.base}/s/AAAAAAAAAAAAAAAAAAAAAA")
    assert status == 404 and b"not found" in body.lower()
    status, _ = get(f"{server.base}/s/not-an-id")
    assert status == 404
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{server.ws_base}/ws/AAAAAAAAAAAAAAAAAAAAAA", open_timeout=10)
    assert refused.value.response.status_code == 404


def test_third_participant_is_closed_with_4409_and_sessions_beyond_the_limit_get_503(server):
    session = server.new_session()
    sockets = []
    stack = contextlib.ExitStack()
    for i in range(3):
        ws = stack.enter_context(connect(f"{server.ws_base}/ws/{session}", open_timeout=10))
        ws.send(json.dumps({"type": "hello", "version": 1, "client": f"client-{i:04d}"}))
        sockets.append(ws)
    assert json.loads(sockets[0].recv(timeout=10))["type"] == "welcome"
    last = [json.loads(sockets[2].recv(timeout=10))]
    assert last[0]["code"] == "session_full"
    with pytest.raises(Exception):
        sockets[2].recv(timeout=10)
    assert sockets[2].close_code == 4409
    stack.close()
    # max_sessions = 3 and this module created 3 already (two above, one here).
    status, body, headers = post(server.base + "/new")
    assert status == 503 and b"Too many" in body and headers["Retry-After"]


def test_idle_session_expires_from_memory_and_disk(tmp_path):
    import sqlite3
    import time
    s = SketchServer(tmp_path, sessions={"idle_expiry_seconds": 1, "empty_expiry_seconds": 1,
                                         "expiry_sweep_seconds": 1}).start()
    try:
        session = s.new_session()
        with connect(f"{s.ws_base}/ws/{session}", open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "version": 1, "client": "client-expiry"}))
            ws.send(json.dumps({"type": "clear", "ref": 1}))
            while json.loads(ws.recv(timeout=10))["type"] != "ack":
                pass
        database = tmp_path / "state" / "sessions.sqlite"
        assert sqlite3.connect(database).execute("SELECT COUNT(*) FROM ops").fetchone()[0] == 1
        deadline = time.time() + 10
        while time.time() < deadline and get(f"{s.base}/s/{session}")[0] != 404:
            time.sleep(0.2)
        assert get(f"{s.base}/s/{session}")[0] == 404
        time.sleep(0.3)
        db = sqlite3.connect(database)
        assert db.execute("SELECT COUNT(*) FROM ops").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
    finally:
        s.stop()


def raw_get(server, path, host):
    """Status of GET `path` sent with this `Host` header."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", host)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_replay_routes_load_a_stored_session_on_access_and_follow_the_host_allow_list(tmp_path):
    s = SketchServer(tmp_path, sessions={"snapshot_page_bytes": 1024}).start()
    try:
        session = s.new_session()
        with connect(f"{s.ws_base}/ws/{session}", open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "version": 1, "client": "client-replayer", "name": "R"}))
            assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
            ref = 0
            for stroke in range(1, 6):
                ref += 1
                ws.send(json.dumps({"type": "stroke.begin", "id": stroke, "tool": "pen", "width": 4, "ref": ref}))
                for k in range(4):
                    ref += 1
                    points = [{"x": 20 + 20 * k + j, "y": 40 * stroke, "p": 1} for j in range(20)]
                    ws.send(json.dumps({"type": "stroke.points", "id": stroke, "points": points, "ref": ref}))
                ref += 1
                ws.send(json.dumps({"type": "stroke.end", "id": stroke, "ref": ref}))
            acked = set()
            while len(acked) < ref:
                m = json.loads(ws.recv(timeout=10))
                if m["type"] == "ack":
                    acked.add(m["ref"])
        # After a restart the session is only in the index: the history route loads it (on the session's queue).
        s.stop()
        s.start()
        ops, after, pages = [], 0, 0
        while True:
            with urllib.request.urlopen(f"{s.base}/s/{session}/history?after={after}", timeout=10) as r:
                assert int(r.headers["X-Sketchface-Undo-Reach"]) > 0
                page = json.loads(r.read())
            pages += 1
            ops += page["ops"]
            after = ops[-1]["seq"] if ops else after
            if not page["more"]:
                break
        assert [op["seq"] for op in ops] == list(range(1, ref + 1)), "the whole log, in order"
        assert pages > 1, "paged by snapshot_page_bytes"
        # The replay routes answer only for this server's names, like every other route (DNS rebinding).
        for path in (f"/s/{session}/history?after=0", f"/s/{session}/replay", f"/replay-face/{session}?seq=1"):
            assert raw_get(s, path, "rebind.example") == 421, path
        assert raw_get(s, f"/s/{session}/replay", f"127.0.0.1:{s.port}") == 200
    finally:
        s.stop()
