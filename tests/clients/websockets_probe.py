"""Probe a SketchFace WebSocket echo route with the `websockets` library (sync client).

Usage: websockets_probe.py URL [--origin ORIGIN]
Prints one JSON line: what came back, or the HTTP status of a refused upgrade.
"""
import json
import ssl
import sys

from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect


def main() -> None:
    url = sys.argv[1]
    origin = sys.argv[sys.argv.index("--origin") + 1] if "--origin" in sys.argv else None
    context = None
    if url.startswith("wss://"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    result = {}
    try:
        ws = connect(url, ssl=context, origin=origin, open_timeout=5, close_timeout=5, max_size=4 << 20)
    except InvalidStatus as refused:
        print(json.dumps({"refused_status": refused.response.status_code}))
        return
    with ws:
        ws.send("hello, sketch")
        result["text"] = ws.recv(timeout=5)
        ws.send(b"\x00\x01\xfe\xff")
        result["binary"] = ws.recv(timeout=5).hex()
        ws.send(["frag-", "ment", "ed ✓"])
        result["fragmented"] = ws.recv(timeout=5)
        big = "x" * 300_000
        ws.send(big)
        result["big_ok"] = ws.recv(timeout=5) == big
        result["pong"] = ws.ping(b"are you there").wait(5)
        ws.close(1000, "bye")
        result["close_code"] = ws.protocol.close_rcvd.code if ws.protocol.close_rcvd else None
        result["close_reason"] = ws.protocol.close_rcvd.reason if ws.protocol.close_rcvd else None
    print(json.dumps(result))


if __name__ == "__main__":
    main()
