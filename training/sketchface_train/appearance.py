"""`appearance`: per-photo appearance codes and label statistics, from the 19-class part labels.

The sketch carries shape; colour (skin, hair, lips, lighting, background) it cannot predict, so the generator
is given it explicitly (docs/MODEL_FORMAT.md, "Version 2"). A code is the mean colour, RGB in [-1, 1], of each
of `REGIONS` of a photo; a region the photo lacks (no hair, closed lips) takes the training set's mean for that
region. The model ships a palette of codes: k-means centres over the training photos, the one nearest the mean
first (the default, a neutral face).

The same pass measures the label centroids the component boxes are derived from (`derive_boxes`), so box
choices are data, recorded in `label_stats.json` and in the manifest, never guesses.
Writes `data/appearance.npy` [N, 15] f32 (rows in `ids.npy` order) and `data/label_stats.json` in the run dir.
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


@dataclass
class Config:
    """Appearance codes of every photo and label statistics for the boxes."""
    data: str = DEFAULT_DATA
    run: str = DEFAULT_RUN
    workers: int = 2
    palette: int = 8              # k-means centres shipped as the model's palette


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


def _work(args):
    data, ids = args
    from .data import load_pair
    out, cents = [], []
    for i in ids:
        photo, labels = load_pair(data, i)
        means, _ = region_means(photo, labels)
        c = {}
        for name, classes in CENTROID_CLASSES.items():
            ys, xs = np.nonzero(np.isin(labels, classes))
            c[name] = (float(xs.mean()), float(ys.mean()), int(len(xs))) if len(xs) >= MIN_PIXELS else None
        out.append(means)
        cents.append(c)
    return ids, out, cents


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
    test = set(np.load(d / "test_ids.npy").tolist())
    jobs = [(cfg.data, ids[i:i + 100]) for i in range(0, len(ids), 100)]
    means, cents = {}, {}
    t0 = time.time()
    with Pool(cfg.workers) as pool, tqdm(total=len(ids), desc="appearance", unit="img") as bar:
        for chunk, m, c in pool.imap_unordered(_work, jobs):
            for i, a, b in zip(chunk, m, c):
                means[i], cents[i] = a, b
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
    (d / "label_stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    journal.log(f"appearance: {len(ids)} codes in {time.time() - t0:.0f} s; boxes {boxes}; "
                f"absent shares {absent}; palette sizes {sizes.tolist()}")
