"""`prepare`: synthesize every sketch once and cache sketches + photos at model resolution in the run dir.

Work is split into chunks written as they finish, so an interrupted prepare resumes where it stopped; the
chunks are then joined into `data/sketches.npy` [N, R, R] u8, `data/photos.npy` [N, R, R, 3] u8, `data/ids.npy`,
plus the 512² sketches of the test ids (`data/test_sketches512.npy`) which evaluation degrades on the canvas.
"""
import os
import time
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

from . import geometry, sketches
from .journal import DEFAULT_DATA, DEFAULT_RUN, Journal, parse_ids


@dataclass
class Config:
    """Synthesize and cache sketches and photos."""
    data: str = DEFAULT_DATA
    run: str = DEFAULT_RUN
    resolution: int = 256
    train_ids: str = "0:4500"
    test_ids: str = "4500:5000"
    workers: int = 2
    chunk: int = 100


def load_pair(data, i):
    photo = np.asarray(Image.open(Path(data) / "images" / f"{i}.jpg").convert("RGB"))
    labels = np.asarray(Image.open(Path(data) / "labels" / f"{i}.png"))
    if photo.shape != (512, 512, 3) or labels.shape != (512, 512):
        raise ValueError(f"id {i}: expected 512×512 photo and labels, got {photo.shape}, {labels.shape}")
    return photo, labels


def downsample_photo(photo, resolution):
    return np.stack([geometry.downsample(photo[..., c], resolution) for c in range(3)], axis=-1)


def _work(args):
    data, ids, resolution, keep512, path = args
    sk, ph, big = [], [], []
    for i in ids:
        photo, labels = load_pair(data, i)
        s = sketches.synthesize(photo, labels)
        sk.append(geometry.downsample(s, resolution))
        ph.append(downsample_photo(photo, resolution))
        if i in keep512:
            big.append(s)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, ids=np.array(ids, np.int32), sketches=np.stack(sk), photos=np.stack(ph),
             big=np.stack(big) if big else np.zeros((0, 512, 512), np.uint8))
    os.replace(tmp, path)
    return len(ids)


def data_dir(run):
    return Path(run) / "data"


def load(run, mmap=True):
    """(ids, sketches, photos) arrays of a prepared run."""
    d = data_dir(run)
    mode = "r" if mmap else None
    return (np.load(d / "ids.npy"), np.load(d / "sketches.npy", mmap_mode=mode),
            np.load(d / "photos.npy", mmap_mode=mode))


def main(cfg):
    from tqdm import tqdm
    geometry.check_resolution(cfg.resolution)
    journal = Journal(cfg.run, "prepare")
    d = data_dir(cfg.run)
    if (d / "sketches.npy").exists():
        journal.log(f"{d} already prepared; delete it to redo")
        return
    chunks = d / "chunks"
    chunks.mkdir(parents=True, exist_ok=True)
    train, test = parse_ids(cfg.train_ids), parse_ids(cfg.test_ids)
    ids = train + test
    keep512 = set(test)
    jobs = []
    for n, start in enumerate(range(0, len(ids), cfg.chunk)):
        path = chunks / f"{n:04d}.npz"
        if not path.exists():
            jobs.append((cfg.data, ids[start:start + cfg.chunk], cfg.resolution, keep512, path))
    journal.log(f"prepare: {len(ids)} ids ({len(train)} train, {len(test)} test) at {cfg.resolution}², "
                f"{len(jobs)} chunks to do, {cfg.workers} workers")
    t0 = time.time()
    with tqdm(total=sum(len(j[1]) for j in jobs), desc="prepare", unit="img") as bar:
        if cfg.workers > 1 and len(jobs) > 1:
            with Pool(cfg.workers) as pool:
                for n in pool.imap_unordered(_work, jobs):
                    bar.update(n)
        else:
            for j in jobs:
                bar.update(_work(j))
    parts = [np.load(p) for p in sorted(chunks.glob("[0-9]*.npz"))]
    np.save(d / "ids.npy", np.concatenate([p["ids"] for p in parts]))
    np.save(d / "photos.npy", np.concatenate([p["photos"] for p in parts]))
    np.save(d / "test_sketches512.npy", np.concatenate([p["big"] for p in parts]))
    np.save(d / "test_ids.npy", np.array(test, np.int32))
    np.save(d / "sketches.npy.tmp.npy", np.concatenate([p["sketches"] for p in parts]))
    os.replace(d / "sketches.npy.tmp.npy", d / "sketches.npy")  # written last: its presence means done
    for p in chunks.glob("*.npz"):
        p.unlink()
    journal.log(f"prepare: done in {time.time() - t0:.0f} s")
