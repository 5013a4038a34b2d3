"""Messages that arrive in the same socket read as the client's Close frame (RFC 6455 §5.5.1: data frames before the
Close are part of the message stream) are delivered in order and their ops are stored (docs/SESSIONS.md, "Drawing and closing in one write").

The client here speaks WebSocket over a raw socket so that the stroke's messages and the Close frame leave in a
single write, which is what a browser tab does when its last stroke and `close()` fall into one task.
"""
import base64
import json
import os
import socket
import struct

from websockets.sync.client import connect

from sketchserver import SketchServer


def frame(opcode, payload):
    """A masked client frame with FIN set."""
    key = os.urandom(4)
    header = bytes([0x80 | opcode])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    else:
        header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def text(message):
    return frame(0x1, json.dumps(message).encode())


def close_frame(code):
    return frame(0x8, struct.pack("!H", code))


class RawClient:
    """A WebSocket client over a plain socket: it decides exactly which bytes go out in which write."""

    def __init__(self, server, session):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /ws/{session} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def read_frame(self):
        """(opcode, payload) of the next server frame, or None when the server closed the socket."""
        while True:
            if len(self.buffer) >= 2:
                length, start = self.buffer[1] & 0x7F, 2
                if length == 126:
                    length, start = (struct.unpack("!H", self.buffer[2:4])[0], 4) if len(self.buffer) >= 4 else (None, 0)
                elif length == 127:
                    length, start = (struct.unpack("!Q", self.buffer[2:10])[0], 10) if len(self.buffer) >= 10 else (None, 0)
                if length is not None and len(self.buffer) >= start + length:
                    opcode, payload = self.buffer[0] & 0x0F, self.buffer[start:start + length]
                    self.buffer = self.buffer[start + length:]
                    return opcode, payload
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk

    def messages_until_close(self):
        """The text messages the server sent, then its close code (None when the socket ended without one)."""
        messages = []
        while (got := self.read_frame()) is not None:
            opcode, payload = got
            if opcode == 0x1:
                messages.append(json.loads(payload))
            elif opcode == 0x8:
                return messages, struct.unpack("!H", payload[:2])[0]
        return messages, None


def snapshot_ops(server, session):
    with connect(f"{server.ws_base}/ws/{session}", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "version": 1, "client": "client-inspector"}))
        while True:
            m = json.loads(ws.recv(timeout=10))
            if m["type"] == "welcome":
                assert not m["more"]
                return m["ops"]


def test_a_stroke_sent_in_the_same_write_as_the_close_frame_is_stored(tmp_path):
    server = SketchServer(tmp_path).start()
    try:
        draw_and_close_in_one_write(server)
    finally:
        server.stop()


def draw_and_close_in_one_write(server):
    session = server.new_session()
    blank = server.sketch_pgm(session)
    client = RawClient(server, session)
    client.sock.sendall(text({"type": "hello", "version": 1, "client": "client-close-same-read"}))
    opcode, payload = client.read_frame()
    assert opcode == 0x1 and json.loads(payload)["type"] == "welcome"

    points = [{"x": 40 + 20 * i, "y": 60 + 15 * i} for i in range(12)]
    client.sock.sendall(text({"type": "stroke.begin", "id": 1, "tool": "pen", "width": 6, "ref": 1})
                        + text({"type": "stroke.points", "id": 1, "points": points[:6], "ref": 2})
                        + text({"type": "stroke.points", "id": 1, "points": points[6:], "ref": 3})
                        + text({"type": "stroke.end", "id": 1, "ref": 4})
                        + close_frame(1000))
    _, code = client.messages_until_close()
    client.sock.close()
    assert code == 1000
    # Acks are sent once the ops are durable, on another thread: by then our close frame is out and data frames may
    # no longer follow it (RFC 6455 §5.5.1), so the client does not get them. The ops themselves are stored.

    mine = [op for op in snapshot_ops(server, session) if op.get("author") == "client-close-same-read"]
    assert [op["kind"] for op in mine] == ["stroke.begin", "stroke.points", "stroke.points", "stroke.end"], mine
    assert server.sketch_pgm(session) != blank
