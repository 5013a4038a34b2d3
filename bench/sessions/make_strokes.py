"""Writes strokes.json: a face sketch as timed pointer samples (x, y, pressure, ms since stroke start),
the stream every benchmark client replays. Regenerate with `python bench/sessions/make_strokes.py`."""
import json
import math
from pathlib import Path


def curve(fn, n, ms_per_point=8):
    return [[round(x, 2), round(y, 2), round(p, 3), i * ms_per_point] for i, (x, y, p) in enumerate(fn(t / (n - 1)) for t in range(n))]


def ellipse(cx, cy, rx, ry, a0=0.0, a1=2 * math.pi):
    return lambda t: (cx + rx * math.cos(a0 + (a1 - a0) * t), cy + ry * math.sin(a0 + (a1 - a0) * t), 0.5 + 0.4 * math.sin(math.pi * t))


strokes = [
    {"tool": "pen", "width": 3, "points": curve(ellipse(256, 270, 150, 195), 120)},                        # face outline
    {"tool": "pen", "width": 4, "points": curve(ellipse(196, 220, 34, 14), 40)},                          # left eye
    {"tool": "pen", "width": 4, "points": curve(ellipse(316, 220, 34, 14), 40)},                          # right eye
    {"tool": "pen", "width": 3, "points": curve(lambda t: (256 - 6 * math.sin(3 * t), 235 + 75 * t, 0.6), 30)},  # nose
    {"tool": "pen", "width": 4, "points": curve(ellipse(256, 345, 55, 18, 0.1, math.pi - 0.1), 40)},      # mouth
    {"tool": "pen", "width": 3, "points": curve(lambda t: (150 + 90 * t, 185 - 12 * math.sin(math.pi * t), 0.7), 25)},  # brow
    {"tool": "pen", "width": 3, "points": curve(lambda t: (272 + 90 * t, 185 - 12 * math.sin(math.pi * t), 0.7), 25)},  # brow
    {"tool": "eraser", "width": 10, "points": curve(lambda t: (230 + 50 * t, 345, 1.0), 12)},            # fix the mouth
    {"tool": "pen", "width": 6, "points": curve(ellipse(256, 150, 160, 110, math.pi, 2 * math.pi), 80)},  # hair
]
Path(__file__).with_name("strokes.json").write_text(json.dumps({"strokes": strokes}, separators=(",", ":")))
print(sum(len(s["points"]) for s in strokes), "points in", len(strokes), "strokes")
