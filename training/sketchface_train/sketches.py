"""Sketch synthesis (photo + part labels → line drawing) and rough-sketch degradations.

`synthesize` makes the training sketches: photocopy-style XDoG edges, cleaned of specks and thinned to 1-px
skeletons, united with the outlines of the labelled parts (face, hair, ears, neck, brows, eyes, lips, the lower
nose), then drawn with a 2-px pen at 512². `degrade` turns a clean sketch into a rough one at severity 1–3.
All arrays are u8 with 255 = paper, 0 = ink.
"""
import numpy as np
from scipy import ndimage

# CelebAMask-HQ classes grouped into regions whose outlines an artist would draw.
FACE = (1, 2, 3, 4, 5, 6, 7, 10, 11, 12)
REGIONS = {
    "face": FACE, "hair": (13,), "ears": (8, 9), "neck": (17,), "cloth": (18,),
    "brows": (6, 7), "left_eye": (4,), "right_eye": (5,), "lips": (11, 12), "inner_mouth": (10,),
}


def grey(photo):
    return np.asarray(photo, dtype=np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def xdog(gray, sigma=1.0, k=1.6, tau=0.98, eps=-2.0):
    """Boolean ink mask of dark-side DoG edges of a grey image in [0, 255]."""
    g1 = ndimage.gaussian_filter(gray, sigma)
    g2 = ndimage.gaussian_filter(gray, sigma * k)
    return (g1 - tau * g2) < eps


def remove_specks(ink, min_size):
    labels, n = ndimage.label(ink, structure=np.ones((3, 3)))
    if n == 0:
        return ink
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_size
    keep[0] = False
    return keep[labels]


def _neighbours(b):
    p = np.pad(b, 1)
    h, w = b.shape
    # P2..P9 clockwise from north, as in Zhang & Suen (1984)
    return [p[0:h, 1:w + 1], p[0:h, 2:], p[1:h + 1, 2:], p[2:, 2:], p[2:, 1:w + 1], p[2:, 0:w], p[1:h + 1, 0:w],
            p[0:h, 0:w]]


def thin(ink, max_iter=8):
    """Zhang–Suen thinning of a boolean mask (vectorised; lines here are a few px thick, so few passes)."""
    b = ink.copy()
    for _ in range(max_iter):
        changed = False
        for step in (0, 1):
            n = _neighbours(b)
            nb = [x.astype(np.uint8) for x in n]
            count = sum(nb)
            seq = nb + [nb[0]]
            transitions = sum(((seq[i] == 0) & (seq[i + 1] == 1)).astype(np.uint8) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if step == 0:
                c = ~(p2 & p4 & p6) & ~(p4 & p6 & p8)
            else:
                c = ~(p2 & p4 & p8) & ~(p2 & p6 & p8)
            kill = b & (count >= 2) & (count <= 6) & (transitions == 1) & c
            if kill.any():
                b &= ~kill
                changed = True
        if not changed:
            break
    return b


def outlines(labels):
    """Boolean mask of the boundaries of the artist-relevant label regions (1 px, inner side)."""
    out = np.zeros(labels.shape, dtype=bool)
    for name, classes in REGIONS.items():
        region = np.isin(labels, classes)
        if region.sum() < 20:
            continue
        edge = region & ~ndimage.binary_erosion(region, border_value=1)
        out |= edge
    nose = labels == 2
    if nose.sum() > 20:
        ys = np.nonzero(nose)[0]
        cut = int(ys.min() + 0.6 * (ys.max() - ys.min()))
        edge = nose & ~ndimage.binary_erosion(nose, border_value=1)
        edge[:cut] = False
        out |= edge
    return out


def synthesize(photo, labels, pen=2, min_speck=40):
    """u8 sketch [H, W] from an RGB photo [H, W, 3] and its label map [H, W] (the 512 canvas)."""
    ink = xdog(grey(photo))
    textured = np.isin(labels, (13, 14, 16, 18))
    edges = remove_specks(ink & (labels != 0), min_speck)
    # hair and cloth texture makes scribble noise: keep only long edge chains there; no background at all
    long_edges = remove_specks(edges, min_speck * 4)
    edges = np.where(textured, long_edges, edges)
    skeleton = thin(edges) | outlines(labels)
    skeleton = remove_specks(skeleton, 12)
    drawn = ndimage.binary_dilation(skeleton, structure=np.ones((pen, pen), dtype=bool)) if pen > 1 else skeleton
    return np.where(drawn, 0, 255).astype(np.uint8)


def edge_map(photo):
    """The label-free half of `synthesize` (thinned, cleaned XDoG), used to measure sketch fidelity of outputs."""
    return thin(remove_specks(xdog(grey(photo)), 20))


# --- rough-sketch degradations -------------------------------------------------------------------------------

SEVERITY = {  # warp px (at 512), drop prob, gaps per 10k ink px, thickness change prob, scribbles
    1: dict(warp=3.0, drop=0.05, gaps=4, thick=0.3, scribbles=1),
    2: dict(warp=6.0, drop=0.12, gaps=10, thick=0.5, scribbles=3),
    3: dict(warp=10.0, drop=0.22, gaps=20, thick=0.7, scribbles=6),
}


def _warp(canvas, amount, rng):
    h, w = canvas.shape
    field = []
    for _ in range(2):
        noise = rng.standard_normal((h // 16 + 2, w // 16 + 2))
        smooth = ndimage.zoom(ndimage.gaussian_filter(noise, 1.0), (h / (h // 16 + 2), w / (w // 16 + 2)), order=1)
        field.append(smooth[:h, :w] / (np.abs(smooth).max() + 1e-6) * amount)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return ndimage.map_coordinates(canvas.astype(np.float32), [yy + field[0], xx + field[1]], order=1,
                                   mode="constant", cval=255.0)


def _scribble(ink, rng, scale):
    h, w = ink.shape
    p = rng.uniform([0.15 * w, 0.15 * h], [0.85 * w, 0.85 * h])
    pts = [p]
    heading = rng.uniform(0, 2 * np.pi)
    for _ in range(int(rng.integers(8, 30))):
        heading += rng.normal(0, 0.5)
        p = p + 4 * scale * np.array([np.cos(heading), np.sin(heading)])
        pts.append(p)
    pts = np.array(pts)
    fine = []
    for a, b in zip(pts[:-1], pts[1:]):
        n = int(np.ceil(np.abs(b - a).max())) + 1
        fine.append(a + (b - a) * np.linspace(0, 1, n)[:, None])
    fine = np.round(np.concatenate(fine)).astype(int)
    ok = (fine[:, 0] >= 0) & (fine[:, 0] < w) & (fine[:, 1] >= 0) & (fine[:, 1] < h)
    ink[fine[ok, 1], fine[ok, 0]] = True


def degrade(canvas, severity, rng):
    """A rough version of a clean u8 sketch at any resolution (parameters are set for 512 and scaled)."""
    if severity == 0:
        return np.array(canvas, dtype=np.uint8, copy=True)
    s = SEVERITY[severity]
    h, w = canvas.shape
    scale = w / 512
    ink = canvas < 128
    # a "stroke" is a connected line cut by a randomly offset grid, so long outlines lose pieces, not everything
    labels, n = ndimage.label(ink, structure=np.ones((3, 3)))
    if n:
        cell = max(8, int(48 * scale))
        oy, ox = rng.integers(0, cell, 2)
        yy, xx = np.mgrid[0:h, 0:w]
        cells = ((yy + oy) // cell) * (w // cell + 2) + (xx + ox) // cell
        stroke = labels.astype(np.int64) * (cells.max() + 1) + cells
        ids, inverse = np.unique(stroke[ink], return_inverse=True)
        keep = rng.random(len(ids)) >= s["drop"]
        ink[ink] = keep[inverse]
    ys, xs = np.nonzero(ink)
    n_gaps = int(len(ys) / 10000 * s["gaps"] / scale) + 1 if len(ys) else 0
    if n_gaps:
        pick = rng.integers(0, len(ys), n_gaps)
        gap = np.zeros_like(ink)
        gap[ys[pick], xs[pick]] = True
        ink &= ~ndimage.binary_dilation(gap, iterations=max(1, int(round(4 * scale))))
    if rng.random() < s["thick"]:
        region = ndimage.zoom(rng.random((4, 4)), (h / 4, w / 4), order=1) > 0.5
        ink |= region & ndimage.binary_dilation(ink)
    scribbles = np.zeros_like(ink)
    for _ in range(s["scribbles"]):
        _scribble(scribbles, rng, scale)
    if scale >= 1:
        scribbles = ndimage.binary_dilation(scribbles)
    out = np.where(ink | scribbles, 0.0, 255.0)
    out = _warp(out, s["warp"] * scale, rng)
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)
