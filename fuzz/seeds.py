#!/usr/bin/env python3
"""Regenerates the committed seed corpora in fuzz/corpus/<target>/ (a few KB in all)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = bytes([0x37, 0xFA, 0x21, 0x3D])


def frame(opcode, payload=b"", fin=True, mask=True, rsv=0, length_form=None):
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    n = len(payload)
    m = 0x80 if mask else 0
    if length_form == 127 or n > 0xFFFF:
        head += bytes([m | 127]) + struct.pack(">Q", n)
    elif length_form == 126 or n > 125:
        head += bytes([m | 126]) + struct.pack(">H", n)
    else:
        head += bytes([m | n])
    if not mask:
        return head + payload
    return head + KEY + bytes(b ^ KEY[i % 4] for i, b in enumerate(payload))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def close(code, reason=b""):
    return frame(8, struct.pack(">H", code) + reason)


ws = {
    "text": frame(1, b"Hello"),
    "binary": frame(2, bytes(range(200))),
    "fragmented_with_ping": frame(1, b"Hel", fin=False) + frame(9, b"p") + frame(0, b"lo"),
    "utf8_split": frame(1, "€".encode()[:1], fin=False) + frame(0, "€".encode()[1:]),
    "invalid_utf8": frame(1, b"ok\xff"),
    "close_normal": close(1000, b"bye"),
    "close_empty": frame(8),
    "close_bad_code": close(1005),
    "close_one_byte": frame(8, b"\x03"),
    "unmasked": frame(1, b"x", mask=False),
    "rsv": frame(1, b"x", rsv=4),
    "continuation_first": frame(0, b"x"),
    "long_ping": frame(9, b"a" * 126),
    "len16_noncanonical": frame(2, b"abc", length_form=126),
    "len64_msb": bytes([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0]),
    "conversation": frame(1, b"one") + frame(10, b"pong") + frame(2, b"\x00" * 300) + close(1001),
}
for name, data in ws.items():
    write("websocket_connection", name, bytes([0x02]) + data)   # 1 MiB limit, varied chunking
    write("websocket_frames", name, bytes([0x04]) + data)       # server role
write("websocket_connection", "small_limit", bytes([0x03]) + frame(2, b"a" * 10, fin=False) + frame(0, b"b" * 30))
write("websocket_frames", "client_role", bytes([0x01]) + frame(1, b"Hello", mask=False) + frame(9, b"Hello", mask=False))

http = {
    "get": b"GET /index.html?x=1 HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n",
    "post": b"POST /api HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
    "pipelined": b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "conditional": b"GET /app.js HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"1-2\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
    "upgrade": b"GET /ws/echo HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x80abcd",
    "traversal": b"GET /img/../../%2e%2e/etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n",
    "chunked": b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "obs_fold": b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
    "bare_lf": b"\r\nGET / HTTP/1.1\nHost: h\n\n",
    "version": b"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
}
for name, data in http.items():
    write("http_parser", name, bytes([0x04]) + data)
write("http_parser", "small_limits", bytes([0x07]) + http["post"] + http["get"])

hs = b"GET HTTP/1.1\nHost: server.example.com\nUpgrade: websocket\nConnection: keep-alive, Upgrade\n" \
     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n"
write("websocket_handshake", "rfc", bytes([0x00]) + hs)
write("websocket_handshake", "origin_ok", bytes([0x01]) + hs + b"Origin: https://sketch.example\n")
write("websocket_handshake", "origin_bad", bytes([0x01]) + hs + b"Origin: https://evil.example\n")
write("websocket_handshake", "version8", bytes([0x00]) + hs.replace(b"13", b"8"))
write("websocket_handshake", "bad_key", bytes([0x00]) + hs.replace(b"dGhlIHNhbXBsZSBub25jZQ==", b"AAAAAAAAAAAAAAAAAAAAAB=="))
