"""`appearance`: per-photo appearance codes and label statistics, from the 19-class part labels.

The sketch carries shape; colour (skin, hair, lips, lighting, background) it cannot predict, so the generator
is given it explicitly (docs/MODEL_FORMAT.md, "Version 2"). A code is the mean colour, RGB in [-1, 1], of each
of `REGIONS` of a photo; a region the photo lacks (no hair, closed lips) takes the training set's mean for that
region. The model ships a palette of codes: k-means centres over the training photos, the one nearest the mean
first (the default, a neutral face).

The same pass measures the label centroids the component boxes are derived from (`derive_boxes`), so box
choices are data, recorded in `label_stats.json` and in the manifest, never guesses.
It also measures where each region reliably is in an aligned photo (`coverage` → `region_map`), so a code can be
taken from a user's photo, which has no labels (`code_from_photo`; docs/MODEL_FORMAT.md, "Region map"). The
grid and coverage threshold of the map are chosen by measurement on the held-out photos (`choose_region_map`).
`--region-map-only` recomputes just that statistic (labels only, ~30 s) for an existing run.
Writes `data/appearance.npy` [N, 15] f32 (rows in `ids.npy` order), `data/region_coverage.npy`
[regions, 64, 64] f32 and `data/label_stats.json` in the run dir.
"""
import json
import time
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

from .journal import DEFAULT_DATA, DEFAULT_RUN, Journal

# Region name → CelebAMask-HQ label classes (faces-5k README).
REGIONS = (
    ("background", (0,)),
    ("skin", (1, 2)),
    ("hair", (13,)),
    ("lips", (11, 12)),
    ("eyes", (4, 5, 6, 7)),
)
SIZE = 3 * len(REGIONS)
MIN_PIXELS = 50            # fewer labelled pixels than this at 512² and the region counts as absent
# Label classes whose centroids place the component boxes (image-left eye is the person's right eye, 5).
CENTROID_CLASSES = {"left_eye": (5,), "right_eye": (4,), "nose": (2,), "mouth": (10, 11, 12)}
COVERAGE_GRID = 64         # cells per side of the measured coverage (8 px at 512); coarser maps pool it
MAP_GRIDS = (32, 64)       # region-map grids tried (cells per side over the 512 canvas)
MAP_THRESHOLDS = tuple(round(0.2 + 0.05 * i, 2) for i in range(16))  # coverage thresholds tried, 0.2…0.95
MAP_EVAL_PHOTOS = 100      # held-out photos the choice is measured on (the first test ids: 4500–4599)


@dataclass
class Config:
    """Appearance codes of every photo and label statistics for the boxes."""
    data: str = DEFAULT_DATA
    run: str = DEFAULT_RUN
    workers: int = 2
    palette: int = 8              # k-means centres shipped as the model's palette
    region_map_only: bool = False  # only (re)compute the region map of an existing run's label_stats.json


def region_means(photo, labels):
    """(means [R, 3] in [-1, 1] with NaN for absent regions, pixel counts [R]) of one 512² photo."""
    means = np.full((len(REGIONS), 3), np.nan, np.float32)
    counts = np.zeros(len(REGIONS), np.int64)
    flat = photo.reshape(-1, 3).astype(np.float64)
    lab = labels.reshape(-1)
    for r, (_, classes) in enumerate(REGIONS):
        m = np.isin(lab, classes)
        counts[r] = int(m.sum())
        if counts[r] >= MIN_PIXELS:
            means[r] = flat[m].mean(0) / 127.5 - 1.0
    return means, counts


def coverage(labels, grid=COVERAGE_GRID):
    """[R, grid, grid] f64: the share of each cell's pixels labelled with each region, for one 512² label map."""
    c = labels.shape[0] // grid
    return np.stack([np.isin(labels, classes).reshape(grid, c, grid, c).mean((1, 3)) for _, classes in REGIONS])


def pool(cov, grid):
    """Mean coverage [R, COVERAGE_GRID²] pooled to a coarser `grid` (block means: cells of equal size)."""
    f = cov.shape[-1] // grid
    return cov.reshape(len(cov), grid, f, grid, f).mean((2, 4))


def region_map(cov, thresholds):
    """Rows of the map (docs/MODEL_FORMAT.md): per cell the index (a digit) of the region with the highest mean
    coverage, when that coverage is ≥ the region's threshold (`thresholds[r]`, or one number for all), else '.'.
    A region's cells depend on its own threshold only, so each region's threshold can be chosen on its own."""
    t = np.broadcast_to(np.asarray(thresholds, np.float64), (len(cov),))
    best = cov.argmax(0)
    ok = cov.max(0) >= t[best]
    return ["".join(str(best[y, x]) if ok[y, x] else "." for x in range(cov.shape[2])) for y in range(cov.shape[1])]


def pixel_cells(side, grid):
    """Cell index along one axis of each of `side` pixels: the cell holding the pixel's centre,
    `floor((2·i + 1) · grid / (2 · side))`."""
    return (2 * np.arange(side) + 1) * grid // (2 * side)


def code_from_photo(photo, rows, fallback):
    """The appearance code of an aligned, square RGB u8 photo [S, S, 3] (S ≥ the map's grid): per region the mean
    RGB, in [−1, 1], of the pixels whose centre lies in one of its cells; `fallback` (a flat code) for a region
    with no cells. Integer sums, then (sum / n) / 127.5 − 1 in f64, then f32 (the Swift runtime does the same)."""
    photo = np.asarray(photo)
    grid, side = len(rows), photo.shape[0]
    if photo.ndim != 3 or photo.shape[1] != side or photo.shape[2] != 3 or photo.dtype != np.uint8:
        raise ValueError(f"a photo must be square RGB u8 [S, S, 3], got {photo.shape} {photo.dtype}")
    if side < grid:
        raise ValueError(f"the photo is {side}×{side}; the region map needs at least {grid}×{grid}")
    cells = np.array([[int(ch) if ch != "." else -1 for ch in row] for row in rows])
    c = pixel_cells(side, grid)
    owner = cells[c[:, None], c[None, :]]
    code = np.asarray(fallback, np.float32).reshape(-1, 3).copy()
    flat = photo.reshape(-1, 3)
    for r in range(len(code)):
        m = owner.reshape(-1) == r
        n = int(m.sum())
        if n:
            code[r] = (flat[m].astype(np.int64).sum(0) / n) / 127.5 - 1.0
    return code.reshape(-1)


def choose_region_map(cov, region_mean, data, ids):
    """(grid, per-region thresholds, table) chosen on photos `ids`: the error of a region is the mean absolute
    difference between its code from the map and its label-exact code (absent regions filled with the set's
    mean), over the photos and R, G, B. Per grid, each region takes its best threshold (its cells depend on no
    other region's); the grid with the lowest mean error over the regions wins."""
    from .data import load_pair
    exact, photos = [], []
    for i in ids:
        photo, labels = load_pair(data, i)
        exact.append(fill_absent(region_means(photo, labels)[0][None], region_mean)[0])
        photos.append(photo)
    exact = np.stack(exact)
    fallback = np.asarray(region_mean, np.float32).reshape(-1)
    table = {"photos": len(ids), "regions": [r[0] for r in REGIONS],
             "training_mean": np.abs(exact - fallback).reshape(len(ids), -1, 3).mean((0, 2)).round(4).tolist()}
    best = None
    for grid in MAP_GRIDS:
        pooled = pool(cov, grid)
        errs = []
        for t in MAP_THRESHOLDS:
            rows = region_map(pooled, t)
            codes = np.stack([code_from_photo(p, rows, fallback) for p in photos])
            errs.append(np.abs(codes - exact).reshape(len(ids), -1, 3).mean((0, 2)))
            cells = [sum(row.count(str(r)) for row in rows) for r in range(len(REGIONS))]
            table[f"{grid}@{t}"] = {"mae": errs[-1].round(4).tolist(), "cells": cells}
        pick = len(errs) - 1 - np.argmin(np.stack(errs)[::-1], 0)   # on a tie (same cells) the highest threshold
        thresholds = [MAP_THRESHOLDS[k] for k in pick]
        err = np.array([errs[k][r] for r, k in enumerate(pick)])
        table[f"{grid}"] = {"thresholds": thresholds, "mae": err.round(4).tolist(), "mean": round(float(err.mean()), 4)}
        if best is None or err.mean() < best[0]:
            best = (float(err.mean()), grid, thresholds)
    return best[1], best[2], table


def add_region_map(stats, cov, data, eval_ids):
    """Records the measured coverage's region map (grid and thresholds chosen on `eval_ids`) in `stats`."""
    region_mean = np.asarray(stats["region_mean"], np.float64)
    grid, t, table = choose_region_map(cov, region_mean, data, eval_ids)
    stats["region_map"] = {"grid": grid, "thresholds": t, "rows": region_map(pool(cov, grid), t),
                           "fallback": [round(float(v), 6) for v in region_mean.reshape(-1)]}
    stats["region_map_eval"] = table
    return stats


def _coverage_work(args):
    data, ids = args
    total = np.zeros((len(REGIONS), COVERAGE_GRID, COVERAGE_GRID))
    for i in ids:
        total += coverage(np.asarray(Image.open(Path(data) / "labels" / f"{i}.png")))
    return total


def _work(args):
    data, ids, held_out = args
    from .data import load_pair
    out, cents, cov = [], [], np.zeros((len(REGIONS), COVERAGE_GRID, COVERAGE_GRID))
    for i in ids:
        photo, labels = load_pair(data, i)
        means, _ = region_means(photo, labels)
        if i not in held_out:
            cov += coverage(labels)
        c = {}
        for name, classes in CENTROID_CLASSES.items():
            ys, xs = np.nonzero(np.isin(labels, classes))
            c[name] = (float(xs.mean()), float(ys.mean()), int(len(xs))) if len(xs) >= MIN_PIXELS else None
        out.append(means)
        cents.append(c)
    return ids, out, cents, cov


def fill_absent(means, region_mean):
    """Codes [N, SIZE] from per-photo means [N, R, 3] with NaN regions replaced by the set's region mean."""
    filled = np.where(np.isnan(means), region_mean[None], means)
    return filled.reshape(len(means), SIZE).astype(np.float32)


def kmeans(x, k, seed=0, iters=50):
    """Plain Lloyd k-means (k-means++ init); centres sorted so the one nearest the overall mean is first."""
    rng = np.random.default_rng(seed)
    centres = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d = np.min(((x[:, None] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
        centres.append(x[rng.choice(len(x), p=d / d.sum())])
    c = np.array(centres)
    for _ in range(iters):
        assign = ((x[:, None] - c[None]) ** 2).sum(-1).argmin(1)
        c = np.array([x[assign == j].mean(0) if np.any(assign == j) else c[j] for j in range(k)])
    mean = x.mean(0)
    sizes = np.bincount(((x[:, None] - c[None]) ** 2).sum(-1).argmin(1), minlength=k)
    order = np.argsort(((c - mean) ** 2).sum(-1))
    return c[order].astype(np.float32), sizes[order]


def derive_boxes(centroids, canvas=512, align=8):
    """Component boxes [x, y, side] centred on the mean label centroids, eyes mirrored about the face axis.

    Corners and sides are multiples of `align` (8 at 512 keeps every box on even coordinates down to 128²).
    The sides are DeepFaceDrawing's (eyes 128, nose 160, mouth 192).
    """
    def mean(name):
        v = np.array([c[name][:2] for c in centroids if c[name] is not None])
        return v.mean(0)

    le, re, no, mo = mean("left_eye"), mean("right_eye"), mean("nose"), mean("mouth")
    axis = (le[0] + re[0]) / 2
    half = (re[0] - le[0]) / 2
    eye_y = (le[1] + re[1]) / 2
    snap = lambda v: int(round(v / align) * align)
    boxes = {}
    # Eyes: mirror images of each other about the face axis (snapped: the axis itself lands on the grid).
    ax = snap(axis)
    for name, cx in (("left_eye", ax - half), ("right_eye", ax + half)):
        boxes[name] = [snap(cx - 64), snap(eye_y - 64), 128]
    boxes["right_eye"][0] = 2 * ax - boxes["left_eye"][0] - 128
    boxes["nose"] = [ax - 80, snap(no[1] - 80), 160]
    boxes["mouth"] = [ax - 96, snap(mo[1] - 96), 192]
    for b in boxes.values():
        assert b[0] % align == 0 and b[1] % align == 0 and 0 <= b[0] and b[0] + b[2] <= canvas
    stats = {"left_eye": le.tolist(), "right_eye": re.tolist(), "nose": no.tolist(), "mouth": mo.tolist(),
             "face_axis_x": float(axis)}
    return boxes, stats


def main(cfg):
    from tqdm import tqdm
    journal = Journal(cfg.run, "appearance")
    d = Path(cfg.run) / "data"
    ids = np.load(d / "ids.npy").tolist()
    test_ids = np.load(d / "test_ids.npy").tolist()
    test = set(test_ids)
    if cfg.region_map_only:
        return main_region_map(cfg, d, [i for i in ids if i not in test], test_ids, journal)
    jobs = [(cfg.data, ids[i:i + 100], test) for i in range(0, len(ids), 100)]
    means, cents = {}, {}
    cov = np.zeros((len(REGIONS), COVERAGE_GRID, COVERAGE_GRID))
    t0 = time.time()
    with Pool(cfg.workers) as pool, tqdm(total=len(ids), desc="appearance", unit="img") as bar:
        for chunk, m, c, cv in pool.imap_unordered(_work, jobs):
            for i, a, b in zip(chunk, m, c):
                means[i], cents[i] = a, b
            cov += cv
            bar.update(len(chunk))
    all_means = np.stack([means[i] for i in ids])
    train_mask = np.array([i not in test for i in ids])
    region_mean = np.nanmean(all_means[train_mask], axis=0)
    codes = fill_absent(all_means, region_mean)
    np.save(d / "appearance.npy", codes)
    palette, sizes = kmeans(codes[train_mask], cfg.palette)
    boxes, centroid_stats = derive_boxes([cents[i] for i in ids if i not in test])
    absent = {name: float(np.mean(np.isnan(all_means[train_mask, r, 0]))) for r, (name, _) in enumerate(REGIONS)}
    stats = {"regions": [r[0] for r in REGIONS], "region_mean": region_mean.tolist(), "absent_share": absent,
             "palette": palette.tolist(), "palette_sizes": sizes.tolist(), "mean_centroids_512": centroid_stats,
             "boxes": boxes, "train_photos": int(train_mask.sum())}
    cov /= train_mask.sum()
    np.save(d / "region_coverage.npy", cov.astype(np.float32))
    add_region_map(stats, cov, cfg.data, sorted(test_ids)[:MAP_EVAL_PHOTOS])
    (d / "label_stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    journal.log(f"appearance: {len(ids)} codes in {time.time() - t0:.0f} s; boxes {boxes}; "
                f"absent shares {absent}; palette sizes {sizes.tolist()}; {region_map_summary(stats)}")


def region_map_summary(stats):
    m, ev = stats["region_map"], stats["region_map_eval"]
    cells = [sum(row.count(str(r)) for row in m["rows"]) for r in range(len(m["thresholds"]))]
    return (f"region map {m['grid']}², thresholds {m['thresholds']}: cells {cells}, mean abs error per region "
            f"{ev[str(m['grid'])]['mae']} on {ev['photos']} held-out photos (training mean alone: {ev['training_mean']})")


def main_region_map(cfg, d, train_ids, test_ids, journal):
    """Adds the region map to an existing run's label_stats.json from the training labels alone."""
    from tqdm import tqdm
    t0 = time.time()
    stats = json.loads((d / "label_stats.json").read_text())
    jobs = [(cfg.data, train_ids[i:i + 100]) for i in range(0, len(train_ids), 100)]
    cov = np.zeros((len(REGIONS), COVERAGE_GRID, COVERAGE_GRID))
    with Pool(cfg.workers) as pool, tqdm(total=len(train_ids), desc="coverage", unit="img") as bar:
        for part in pool.imap_unordered(_coverage_work, jobs):
            cov += part
            bar.update(100)
    cov /= len(train_ids)
    np.save(d / "region_coverage.npy", cov.astype(np.float32))
    add_region_map(stats, cov, cfg.data, sorted(test_ids)[:MAP_EVAL_PHOTOS])
    (d / "label_stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    journal.log(f"appearance --region-map-only: {len(train_ids)} label maps in {time.time() - t0:.0f} s; "
                f"{region_map_summary(stats)}")
