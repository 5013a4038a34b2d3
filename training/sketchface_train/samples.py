"""Sample grids: `save_grid` for training snapshots; `samples` renders sketch grids or model outputs.

Grids written into the repository never contain the data set's photos (CelebAMask-HQ is licensed for
non-commercial research only; the repo ships no photo crops): only synthesized sketches and generated faces.
"""
from dataclasses import dataclass
from pathlib import Path
import os

import numpy as np
import torch
from PIL import Image

from .journal import DEFAULT_DATA, DEFAULT_RUN, parse_ids


def to_rgb_u8(t):
    """[B, C, H, W] in [-1, 1] (C = 1 or 3) → [B, H, W, 3] u8."""
    t = torch.as_tensor(t).float().clamp(-1, 1)
    if t.shape[1] == 1:
        t = t.repeat(1, 3, 1, 1)
    return torch.floor((t + 1) * 127.5 + 0.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def save_grid(path, rows, max_side=None):
    """Save rows (each [B, C, H, W] in [-1, 1], same H, W) as one PNG, rows top to bottom."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.concatenate([np.concatenate(list(to_rgb_u8(r)), axis=1) for r in rows], axis=0)
    im = Image.fromarray(img)
    if max_side and max(im.size) > max_side:
        k = max_side / max(im.size)
        im = im.resize((int(im.size[0] * k), int(im.size[1] * k)), Image.LANCZOS)
    tmp = path.with_name("." + path.name)
    im.save(tmp, format="PNG", optimize=True)
    os.replace(tmp, path)


def save_small_png(path, rgb):
    """A committed picture: 256-colour palette PNG (a third of the size of RGB, fine for faces and lines)."""
    Image.fromarray(rgb).quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, format="PNG", optimize=True)


@dataclass
class Config:
    """Render a sketch / rough-sketch grid (`what=pairs`) or model outputs (`what=model`: sketch, faces at
    s = 1 and s = 0 with the default appearance, then the face under `palette_codes` other palette codes)."""
    what: str = "pairs"
    data: str = DEFAULT_DATA
    model: str = "models/default"
    run: str = DEFAULT_RUN
    ids: str = "4500,4501,4502,4503"
    out: str = "docs/sketch-pairs.png"
    side: int = 160
    seed: int = 0
    palette_codes: int = 3


def main(cfg):
    from . import data, geometry, sketches
    ids = parse_ids(cfg.ids)
    rng = np.random.default_rng(cfg.seed)
    rows = []
    for i in ids:
        photo, labels = data.load_pair(cfg.data, i)
        sk = sketches.synthesize(photo, labels)
        if cfg.what == "pairs":
            tiles = [np.repeat(x[..., None], 3, -1) for x in [sk] + [sketches.degrade(sk, s, rng) for s in (1, 2, 3)]]
        else:
            from .runner import Model
            model = Model.load(cfg.model)
            r = model.resolution
            tiles = [np.repeat(sk[..., None], 3, -1)]
            up = lambda img: np.repeat(np.repeat(img.transpose(1, 2, 0), 512 // r, 0), 512 // r, 1)
            for s in (1.0, 0.0):
                tiles.append(up(model.synthesize(sk, s)["image"]))
            app = model.manifest.get("appearance")
            if app:
                others = [k for k in range(len(app["palette"])) if k != app["default"]][:cfg.palette_codes]
                tiles += [up(model.synthesize(sk, 1.0, appearance=k)["image"]) for k in others]
        rows.append(np.concatenate([np.asarray(Image.fromarray(t).resize((cfg.side, cfg.side), Image.LANCZOS))
                                    for t in tiles], axis=1))
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_small_png(out, np.concatenate(rows, axis=0))
    print(f"wrote {out} ({out.stat().st_size} B)")
