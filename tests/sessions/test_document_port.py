"""web/js/document.js (the browser's replica, with its undo window and checkpoint) paints exactly the server's
raster, run under Node: a small undo reach forces baking, then undo/redo/clear across the horizon."""
import json
import shutil
import subprocess

import pytest
from websockets.sync.client import connect

from sketchserver import ROOT, SketchServer

SCRIPT = """
const { SketchDocument } = await import(process.argv[1]);
const data = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const doc = new SketchDocument(data.undoReach);
for (const op of data.ops) doc.apply(op);
let h = 2166136261 >>> 0;
for (let k = 0; k < doc.canvas.length; k++) h = Math.imul(h ^ doc.canvas[k], 16777619) >>> 0;
let r = 2166136261 >>> 0; const full = doc.render();
for (let k = 0; k < full.length; k++) r = Math.imul(r ^ full[k], 16777619) >>> 0;
console.log(JSON.stringify({ live: h, render: r, horizon: doc.horizon }));
"""


def fnv(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (the browser suite covers the replica)")
def test_js_document_with_a_small_undo_reach_equals_the_server_raster(tmp_path):
    s = SketchServer(tmp_path, sessions={"undo_reach": 20000}).start()
    try:
        session = s.new_session()
        with connect(f"{s.ws_base}/ws/{session}", open_timeout=10) as a, \
             connect(f"{s.ws_base}/ws/{session}", open_timeout=10) as b:
            for ws, client in ((a, "client-aaaa"), (b, "client-bbbb")):
                ws.send(json.dumps({"type": "hello", "version": 1, "client": client}))
                while json.loads(ws.recv(timeout=10))["type"] != "welcome":
                    pass
            script = []
            for i in range(60):
                ws = a if i % 3 else b
                tool = "eraser" if i % 7 == 3 else "pen"
                x, y = 20 + (i * 37) % 460, 20 + (i * 91) % 460
                script.append((ws, {"type": "stroke.begin", "id": i, "tool": tool, "width": 4 + i % 30}))
                script.append((ws, {"type": "stroke.points", "id": i,
                                    "points": [{"x": x, "y": y, "p": 0.5}, {"x": x + 30, "y": y + 12, "p": 1}]}))
                script.append((ws, {"type": "stroke.end", "id": i}))
                if i % 5 == 4:
                    script.append((ws, {"type": "undo"}))
                if i % 10 == 9:
                    script.append((ws, {"type": "redo"}))
                if i == 40:
                    script.append((b, {"type": "clear"}))
                if i == 45:
                    script.append((b, {"type": "undo"}))
            for ws, message in script:
                ws.send(json.dumps(message))
            for ws in (a, b):   # a pong comes after everything the connection sent before it was processed
                ws.send(json.dumps({"type": "ping"}))
                while json.loads(ws.recv(timeout=10))["type"] != "pong":
                    pass
        with connect(f"{s.ws_base}/ws/{session}", open_timeout=10, max_size=None) as reader:
            reader.send(json.dumps({"type": "hello", "version": 1, "client": "client-reader"}))
            while (welcome := json.loads(reader.recv(timeout=10)))["type"] != "welcome":
                pass
            assert not welcome["more"]
            ops = welcome["ops"]
        head = ops[-1]["seq"]
        pgm = s.sketch_pgm(session)
        assert [o["seq"] for o in ops] == list(range(1, head + 1))
        out = subprocess.run(["node", "--input-type=module", "-e", "import {createRequire} from 'module'; const require = createRequire(import.meta.url);" + SCRIPT,
                              str(ROOT / "web" / "js" / "document.js")],
                             input=json.dumps({"undoReach": welcome["undoReach"], "ops": ops}),
                             check=True, capture_output=True, text=True).stdout
        sums = json.loads(out)
        assert sums["horizon"] > 20, "the window moved: the checkpoint is exercised"
        assert sums["live"] == fnv(pgm)
        assert sums["render"] == fnv(pgm)
    finally:
        s.stop()
