"""web/js/raster.js paints the same bytes as Sources/Raster (the checksums RasterTests pins), run under Node.

The browser suite checks the reference stroke inside Chromium too; this one is fast and also covers the torture
segments (canvas edges and corners, dots, every width, both tools) that exercise the capsule row spans.
"""
import json
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

SCRIPT = """
const source = require('fs').readFileSync(process.argv[1], 'utf8').replace(/export /g, '');
const r = new Function(source + '; return { newCanvas, paint, paintSegment, quantizePoint, quantizeWidth, checksum };')();
const reference = r.newCanvas();
const pts = [];
for (let i = 0; i < 30; i++) pts.push({ x: 1600 + i * 170, y: 4000 + (i % 5) * 300 - i * 20, p: (i * 37) % 256 });
r.paint(reference, pts, null, r.quantizeWidth(7.5), 'pen');
r.paint(reference, [r.quantizePoint(120, 300, 1), r.quantizePoint(400, 310, 0.5)], null, r.quantizeWidth(20), 'eraser');
const torture = r.newCanvas();
for (let i = 0; i < 40; i++) {
  const a = { x: i * 797 % 8193, y: i * 1531 % 8193, p: i * 37 % 256 };
  const b = i % 5 === 0 ? a : { x: i * 2399 % 8193, y: (i * 113 + 4096) % 8193, p: i * 91 % 256 };
  r.paintSegment(torture, a, b, 8 + i * 26 % 1017, i % 4 === 3 ? 'eraser' : 'pen');
}
r.paintSegment(torture, { x: 0, y: 8192, p: 255 }, { x: 8192, y: 0, p: 0 }, 1024, 'eraser');
r.paintSegment(torture, { x: 8192, y: 8192, p: 255 }, { x: 8192, y: 8192, p: 255 }, 1024, 'pen');
console.log(JSON.stringify({ reference: r.checksum(reference), torture: r.checksum(torture) }));
"""


def swift_constant(name):
    text = (ROOT / "Tests" / "RasterTests" / "CapsuleRasterizerTests.swift").read_text()
    line = next(l for l in text.splitlines() if f"static let {name}: UInt32 =" in l)
    return int(line.split("=")[1])


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (the browser suite covers the reference)")
def test_js_raster_equals_swift_checksums():
    out = subprocess.run(["node", "-e", SCRIPT, str(ROOT / "web" / "js" / "raster.js")],
                         check=True, capture_output=True, text=True).stdout
    sums = json.loads(out)
    assert sums["reference"] == swift_constant("referenceChecksum")
    assert sums["torture"] == swift_constant("tortureChecksum")
