"""Procedural line-drawn faces on the 512 canvas: deterministic test sketches that need no dataset.

Drawn with float64 element-wise numpy only (exact IEEE operations), so a seed gives the same bytes on every
machine. Used for the tiny fixture model and the tests.
"""
import numpy as np

from .geometry import CANVAS

_Y, _X = np.mgrid[0:CANVAS, 0:CANVAS].astype(np.float64)


def _ellipse(ink, cx, cy, a, b, width, y_from=-1e9, y_to=1e9):
    r = np.sqrt(((_X - cx) / a) ** 2 + ((_Y - cy) / b) ** 2)
    ink |= (np.abs(r - 1.0) * min(a, b) < width / 2) & (_Y >= y_from) & (_Y <= y_to)


def _segment(ink, x0, y0, x1, y1, width):
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((_X - x0) * dx + (_Y - y0) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    ink |= np.hypot(_X - (x0 + t * dx), _Y - (y0 + t * dy)) < width / 2


def face(seed, parts=("head", "hair", "brows", "eyes", "nose", "mouth")):
    """A u8 [512, 512] sketch (255 paper, 0 ink) of a face with seeded proportions; `parts` picks what is drawn."""
    rng = np.random.default_rng(seed)
    u = lambda lo, hi: float(rng.uniform(lo, hi))
    ink = np.zeros((CANVAS, CANVAS), dtype=bool)
    w = u(2.0, 4.0)
    cx, cy = 256 + u(-8, 8), 270 + u(-10, 10)
    if "head" in parts:
        _ellipse(ink, cx, cy, u(120, 150), u(160, 190), w, y_from=cy - 60)
    if "hair" in parts:
        _ellipse(ink, cx, cy - u(20, 50), u(150, 185), u(170, 200), w, y_to=cy - u(0, 60))
    ey = 220 + u(-8, 8)
    for side in (-1, 1):
        ex = 256 + side * u(55, 75)
        if "brows" in parts:
            _segment(ink, ex - 25, ey - u(22, 34), ex + 25, ey - u(22, 34), w + 1)
        if "eyes" in parts:
            _ellipse(ink, ex, ey, u(18, 28), u(7, 13), w)
            _ellipse(ink, ex + u(-4, 4), ey, u(4, 7), u(4, 7), 2 * w)
    if "nose" in parts:
        nx = 256 + u(-6, 6)
        _segment(ink, nx - u(0, 8), 245, nx - u(8, 16), 300 + u(-6, 6), w)
        _segment(ink, nx - u(16, 24), 305, nx + u(16, 24), 305 + u(-4, 4), w)
    if "mouth" in parts:
        my = 355 + u(-10, 10)
        _ellipse(ink, 256 + u(-5, 5), my, u(30, 48), u(8, 16), w)
        _segment(ink, 256 - 40, my, 256 + 40, my + u(-3, 3), w)
    return np.where(ink, 0, 255).astype(np.uint8)
