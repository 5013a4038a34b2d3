"""The server edge under abuse, on the real binary: a client that pipelines requests and never reads its
answers must not make the server hold its responses (docs/SERVER.md, "Back-pressure")."""
import os
import socket
import time

from sketchserver import SketchServer

CONNECTIONS = 64
PIPELINE_BYTES = 64 * 1024
RSS_LIMIT_MIB = 150


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
