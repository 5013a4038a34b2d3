"""Probe a SketchFace WebSocket echo route with the `websocket-client` library.

Usage: websocket_client_probe.py URL
Prints one JSON line with the echoes, the pong and the server's close frame.
"""
import json
import ssl
import sys

import websocket


def main() -> None:
    url = sys.argv[1]
    ws = websocket.create_connection(url, timeout=5, sslopt={"cert_reqs": ssl.CERT_NONE, "check_hostname": False})
    result = {}
    ws.send("grüße")
    result["text"] = ws.recv()
    ws.send_binary(bytes(range(256)))
    result["binary_ok"] = ws.recv() == bytes(range(256))
    ws.ping("liveness")
    opcode, frame = ws.recv_data_frame(control_frame=True)
    result["pong_opcode"] = opcode
    result["pong_payload"] = frame.data.decode()
    ws.send_close(status=1000, reason=b"done")
    opcode, frame = ws.recv_data_frame(control_frame=True)
    result["close_opcode"] = opcode
    result["close_code"] = int.from_bytes(frame.data[:2], "big") if len(frame.data) >= 2 else None
    ws.shutdown()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
