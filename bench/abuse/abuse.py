"""Sessions under abuse on the real server (issue 10): what one attacker costs everybody else.

1. attack: one attacker session sends worst-case *valid* traffic at the limits (two connections: the heaviest
   stroke messages the work budget accepts, back to back, and undo/redo toggles), while a prober measures HTTP
   GET / latency and a victim in another session measures its stroke → op latency.
2. restart: a stored session of 10 000 ops with 500 undos (written straight into SQLite), time from process
   start to listening and to the session's first welcome.
3. rss: four clients draw at the message-rate limit for 30 s; server RSS before and after.

Prints medians/percentiles. Usage: abuse.py [--configuration release] [--duration 10]
"""
import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "sessions"))
from sketchserver import SketchServer  # noqa: E402


# Clients that leave messages unread connect with max_queue=None: with the library's flow control they stop reading
# beyond 16 unread frames and then cannot see the server's close frame, so each close waits out its 10 s
# close_timeout (tests/sessions/test_abuse.py, test_closing_with_many_unread_replies_is_prompt).


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else float("nan")


async def hello(ws, client):
    await ws.send(json.dumps({"type": "hello", "version": 1, "client": client}))
    while json.loads(await ws.recv())["type"] != "welcome":
        pass


async def attacker_strokes(server, session, stop, stats):
    """The heaviest accepted messages: 17 corner-to-corner segments at width 64 (just under 1 M px of work)."""
    heavy = [{"x": 0, "y": 0} if i % 2 == 0 else {"x": 512, "y": 512} for i in range(17)]
    while not stop.is_set():
        try:
            async with websockets.connect(f"{server.ws_base}/ws/{session}", max_size=None) as ws:
                await hello(ws, f"attacker-{time.monotonic_ns()}")
                closed = asyncio.Event()
                reader = asyncio.create_task(drain(ws, closed))
                reader.add_done_callback(lambda _: closed.set())
                sid = 0
                while not stop.is_set() and not closed.is_set():
                    sid += 1
                    await ws.send(json.dumps({"type": "stroke.begin", "id": sid, "tool": "pen", "width": 64}))
                    for _ in range(3):
                        await ws.send(json.dumps({"type": "stroke.points", "id": sid, "points": heavy}))
                        stats["sent"] += 1
                    await ws.send(json.dumps({"type": "stroke.end", "id": sid}))
                    await ws.send(json.dumps({"type": "undo"}))
                    await ws.send(json.dumps({"type": "redo"}))
                    await asyncio.sleep(0.05)
                if reader.done() and reader.result() is not None:
                    raise reader.result()
        except websockets.ConnectionClosed as closed:
            stats["closed"] += 1
            stats["codes"].add(closed.rcvd.code if closed.rcvd else None)
        except OSError:
            await asyncio.sleep(0.1)


async def drain(ws, stop):
    """Reads (and drops) everything until `stop` or the connection closes, as a healthy reader does."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(ws.recv(), 0.5)
        except asyncio.TimeoutError:
            continue
        except websockets.ConnectionClosed as closed:
            stop.set()
            return closed


async def victim(server, session, stop, latencies):
    async with websockets.connect(f"{server.ws_base}/ws/{session}", max_queue=None) as ws:
        await hello(ws, "victim-00001")
        sid, ref = 0, 0
        while not stop.is_set():
            sid += 1
            ref += 1
            await ws.send(json.dumps({"type": "stroke.begin", "id": sid, "tool": "pen", "width": 4, "ref": ref}))
            for k in range(4):
                ref += 1
                sent = time.perf_counter()
                await ws.send(json.dumps({"type": "stroke.points", "id": sid, "ref": ref,
                                          "points": [{"x": 100 + k * 10, "y": 100 + sid % 300}]}))
                while True:
                    m = json.loads(await ws.recv())
                    if m.get("type") == "op" and m.get("ref") == ref:
                        latencies.append((time.perf_counter() - sent) * 1000)
                        break
                await asyncio.sleep(0.03)
            ref += 1
            await ws.send(json.dumps({"type": "stroke.end", "id": sid, "ref": ref}))


def http_probe(server, stop_at, latencies):
    while time.time() < stop_at:
        t = time.perf_counter()
        with urllib.request.urlopen(server.base + "/", timeout=10) as r:
            r.read()
        latencies.append((time.perf_counter() - t) * 1000)
        time.sleep(0.02)


async def attack(server, duration):
    attacked, quiet = server.new_session(), server.new_session()
    stop = asyncio.Event()
    stats = {"sent": 0, "closed": 0, "codes": set()}
    http, victim_ms = [], []
    cpu0 = server.cpu_seconds()
    tasks = [asyncio.create_task(attacker_strokes(server, attacked, stop, stats)) for _ in range(2)]
    tasks.append(asyncio.create_task(victim(server, quiet, stop, victim_ms)))
    probe = asyncio.get_running_loop().run_in_executor(None, http_probe, server, time.time() + duration, http)
    await probe
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    cpu = server.cpu_seconds() - cpu0
    print(f"attack ({duration:.0f} s, 2 attacker connections, {stats['sent']} heavy messages sent, "
          f"{stats['closed']} closes {sorted(c for c in stats['codes'] if c)}; server CPU {cpu / duration * 100:.0f} %):")
    print(f"  HTTP GET /: n={len(http)} p50 {pct(http, 50):.2f} ms, p99 {pct(http, 99):.2f} ms")
    print(f"  other session stroke → op: n={len(victim_ms)} p50 {pct(victim_ms, 50):.2f} ms, p95 {pct(victim_ms, 95):.2f} ms")


def write_long_session(data_dir, ops_count=10_000, undos=500):
    """A stored session: strokes by one author, then `undos` undo/redo pairs spread through the history."""
    state = Path(data_dir) / "state"
    state.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(state / "sessions.sqlite")
    db.executescript("""
        CREATE TABLE IF NOT EXISTS sessions(id TEXT PRIMARY KEY, created REAL NOT NULL, last_active REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS ops(session TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
                                       PRIMARY KEY(session, seq)) WITHOUT ROWID;""")
    session = "BenchRestartSession0001"[:22]
    now = time.time()
    db.execute("INSERT INTO sessions VALUES(?, ?, ?)", (session, now, now))
    rows, seq, strokes, undone = [], 0, [], 0

    def add(body):
        nonlocal seq
        seq += 1
        body = {"type": "op", "seq": seq, **body}
        rows.append((session, seq, json.dumps(body, separators=(",", ":"))))
        return seq

    every = max(1, (ops_count - 2 * undos) // 5 // undos)
    while seq < ops_count - 2:
        begin = add({"kind": "stroke.begin", "author": "bench-author", "stroke": seq + 1, "tool": "pen", "width": 6})
        for k in range(3):
            x, y = 20 + (begin * 7) % 470, 20 + (begin * 13) % 470
            add({"kind": "stroke.points", "author": "bench-author", "stroke": begin,
                 "points": [{"x": x + k * 4, "y": y, "p": 0.8}, {"x": x + k * 4 + 3, "y": y + 2, "p": 0.7}]})
        add({"kind": "stroke.end", "author": "bench-author", "stroke": begin})
        strokes.append(begin)
        if len(strokes) % every == 0 and undone < undos and seq < ops_count - 2:
            add({"kind": "undo", "author": "bench-author", "target": begin})
            add({"kind": "redo", "author": "bench-author", "target": begin})
            undone += 1
    db.executemany("INSERT INTO ops VALUES(?, ?, ?)", rows)
    db.commit()
    db.close()
    return session, seq, undone


async def restart(configuration):
    with tempfile.TemporaryDirectory() as tmp:
        session, head, undos = write_long_session(tmp)
        server = SketchServer(tmp, configuration=configuration)
        started = time.perf_counter()
        server.start()
        listening = time.perf_counter() - started
        async with websockets.connect(f"{server.ws_base}/ws/{session}", max_size=None, max_queue=None) as ws:
            await hello(ws, "bench-reader")
        welcomed = time.perf_counter() - started
        server.stop()
        print(f"restart with a {head}-op session ({undos} undo/redo pairs): listening after {listening * 1000:.0f} ms, "
              f"first welcome after {welcomed * 1000:.0f} ms")


async def rss(server, seconds=30):
    session = server.new_session()
    before = server.rss_kib()
    stop = asyncio.Event()
    refused = {"n": 0}

    async def count_refusals(ws, stop):
        while not stop.is_set():
            try:
                m = json.loads(await asyncio.wait_for(ws.recv(), 0.5))
            except asyncio.TimeoutError:
                continue
            except websockets.ConnectionClosed:
                return
            if m.get("type") == "error" and m.get("code") == "limit":
                refused["n"] += 1

    async def drawer(n):
        async with websockets.connect(f"{server.ws_base}/ws/{session}", max_queue=None) as ws:
            await hello(ws, f"drawer-{n:06d}")
            reader = asyncio.create_task(count_refusals(ws, stop))
            sid = 0
            while not stop.is_set():
                sid += 1
                await ws.send(json.dumps({"type": "stroke.begin", "id": sid, "tool": "pen", "width": 4}))
                for k in range(20):
                    pts = [{"x": 10 + (sid * 3 + k) % 490 + j * 0.0625, "y": 10 + (sid * 7) % 490, "p": 0.5} for j in range(8)]
                    await ws.send(json.dumps({"type": "stroke.points", "id": sid, "points": pts}))
                await ws.send(json.dumps({"type": "stroke.end", "id": sid}))
                await asyncio.sleep(22 / 290)   # about 290 messages per second, under the 300/s limit
            reader.cancel()

    tasks = [asyncio.create_task(drawer(n)) for n in range(4)]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    print(f"rss: 4 clients at the message rate for {seconds:.0f} s: {before / 1024:.1f} → {server.rss_kib() / 1024:.1f} MiB "
          f"({refused['n']} messages refused at the session's byte budget)")


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--configuration", default="release")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--rss-seconds", type=float, default=30)
    parser.add_argument("--session-bytes", type=int, default=8 << 20, help="sessions.max_session_bytes for the runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = SketchServer(tmp, configuration=args.configuration, sessions={"max_session_bytes": args.session_bytes}).start()
        try:
            await attack(server, args.duration)
            await rss(server, args.rss_seconds)
        finally:
            server.stop()
    await restart(args.configuration)


asyncio.run(main())
