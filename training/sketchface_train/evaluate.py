"""`eval`: quality of an exported model on the held-out test ids, run through the reference runner.

For each roughness severity (0 = clean, 1–3 = `sketches.degrade`) and slider s ∈ {1, 0}: PSNR and SSIM
against the paired photo at R, and sketch fidelity — edge F1 within `tolerance` px (512 canvas) between the
label-free edge map of the generated face and the input sketch (and the clean sketch). The same F1 for the real
photo is reported as the ceiling of this measure. These use the model's default appearance.

Face measures (`face_metrics.py`, dlib weights from the PyPI wheels) on the first `face_n` test ids: landmark
NME, identity match and diversity, at roughness 0 and 3, s ∈ {1, 0}, with the default appearance code and (for
a version 2 model) each photo's own code; the reference rows (real photos, blurred photos, one mean face); and
the stamp ratio per part box; the per-face lattice fraction (grid-locked texture) against the photos. Writes `eval.json` and a sample grid into the model folder.
"""
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

from . import data, geometry, projection, sketches
from .journal import DEFAULT_DATA, DEFAULT_RUN
from .runner import Model


@dataclass
class Config:
    """Evaluate a model folder on test sketches."""
    model: str = "models/default"
    run: str = DEFAULT_RUN
    n: int = 500                 # test ids used (the first n of 4500–4999)
    severities: str = "0,1,2,3"
    tolerance: float = 2.0
    seed: int = 0
    batch: int = 8
    threads: int = 1
    grid: int = 6                # test sketches in the sample grid
    data: str = DEFAULT_DATA
    face_n: int = 100            # test ids measured with the dlib face measures (0: skip them)
    face_severities: str = "0,3"


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0 ** 2 / max(mse, 1e-10)))


def ssim(a, b):
    """Mean SSIM of the luma of two u8 RGB images [H, W, 3] (Gaussian window σ = 1.5)."""
    x, y = (sketches.grey(i).astype(np.float64) for i in (a, b))
    g = lambda t: ndimage.gaussian_filter(t, 1.5, truncate=3.5)
    mx, my = g(x), g(y)
    vx, vy, cxy = g(x * x) - mx * mx, g(y * y) - my * my, g(x * y) - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean())


def edge_f1(pred, ref, tol):
    """F1 of two boolean line maps, a pixel matching if the other map has a pixel within `tol`."""
    if not pred.any() or not ref.any():
        return 0.0
    d_ref = ndimage.distance_transform_edt(~ref)
    d_pred = ndimage.distance_transform_edt(~pred)
    p = float(np.mean(d_ref[pred] <= tol))
    r = float(np.mean(d_pred[ref] <= tol))
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def face_edges(image_u8_rgb):
    """Edge map at 512 of a generated [R, R, 3] face (upsampled bilinearly first)."""
    big = np.asarray(Image.fromarray(image_u8_rgb).resize((512, 512), Image.BILINEAR))
    return sketches.edge_map(big)


def synthesize_batch(model, canvases, slider_values, codes=None):
    """{s: [B, 3, R, R] u8} for a batch of canvases, sharing the encoder pass across slider values.

    `codes` [B, A]: appearance codes (None: the model's default)."""
    m, r = model.manifest, model.resolution
    codes = model.appearance("default") if codes is None else codes   # the runner broadcasts one code
    small = geometry.downsample(np.stack(canvases), r)
    zs = {n: model.run(f"encoder.{n}", geometry.to_input(geometry.crop(small, n))).double().numpy()
          for n in geometry.NAMES}
    out = {}
    for s in slider_values:
        feats, knn, weights = {}, {}, {}
        for n in geometry.NAMES:
            lat = model.latents(n)
            proj = [projection.project(z, lat, m["k_project"], m["lle_regularization"], s) for z in zs[n]]
            final = np.stack([p[0] for p in proj])
            knn[n], weights[n] = np.stack([p[1] for p in proj]), np.stack([p[2] for p in proj])
            feats[n] = model.run(f"mapper.{n}", torch.from_numpy(final.astype(np.float32)))
        img = model.run("generator", model.generator_input(geometry.fuse(feats, r), small, knn, weights, s), codes)
        out[s] = np.stack([geometry.to_u8_image(i) for i in img])
    return out


def rough(canvas, sid, severity, seed):
    """The roughened test canvas every measure uses for test id `sid` (seeded by id and severity)."""
    return sketches.degrade(canvas, severity, np.random.default_rng([seed, sid, severity]))


def face_measures(cfg, model, test_ids, big, photos512, photos, log):
    """The dlib table: {appearance}/{severity}/{s} → NME, identity match, diversity; references; stamp ratios;
    lattice fractions (`photos`: the same photos at the model's resolution)."""
    from . import face_metrics
    n = min(cfg.face_n, len(test_ids))
    scorer = face_metrics.Scorer(photos512[:n])
    log(f"eval: face measures on {n} test ids (photo boxes found for "
        f"{sum(r[0] is not None for r in scorer.ref)})")
    modes = {"default": None}
    if model.version >= 2:
        ids = np.load(data.data_dir(cfg.run) / "ids.npy").tolist()
        codes = np.load(data.data_dir(cfg.run) / "appearance.npy")
        modes["own"] = np.stack([codes[ids.index(t)] for t in test_ids[:n]])
    table, stamp_inputs = {}, []
    for mode, codes in modes.items():
        for sev in (int(v) for v in cfg.face_severities.split(",")):
            outs = {1.0: [], 0.0: []}
            for start in range(0, n, cfg.batch):
                canvases = [rough(np.asarray(big[i]), test_ids[i], sev, cfg.seed) for i in range(start, min(start + cfg.batch, n))]
                got = synthesize_batch(model, canvases, (1.0, 0.0), None if codes is None else codes[start:start + len(canvases)])
                for s_val, imgs in got.items():
                    outs[s_val] += [i.transpose(1, 2, 0) for i in imgs]
            for s_val, imgs in outs.items():
                first = mode == "default" and sev == 0 and s_val == 1.0
                row = scorer.score(imgs, detect=first)
                table[f"{mode}/severity{sev}/s{int(s_val)}"] = row
                log(f"eval: faces {mode} severity {sev} s={int(s_val)}: {row}")
                if first:
                    stamp_inputs = imgs
    parts = {c.name: c.box for c in geometry.PARTS}
    return {"n": n, "method": "dlib CNN detector on the photo, 68 landmarks and descriptor inside the photo's box, "
                              "all at 256²", "results": table, "references": scorer.references(),
            "stamp_ratio_default_s1": face_metrics.stamp_ratios(stamp_inputs, scorer.photos, parts),
            "lattice_default_s1": face_metrics.lattice_report(stamp_inputs, photos[:n])}


def main(cfg):
    from tqdm import tqdm
    torch.set_num_threads(cfg.threads)
    model = Model.load(cfg.model)
    r = model.resolution
    all_test = np.load(data.data_dir(cfg.run) / "test_ids.npy").tolist()
    test_ids = all_test[:max(cfg.n, cfg.face_n)]
    big = np.load(data.data_dir(cfg.run) / "test_sketches512.npy", mmap_mode="r")
    # photos from the data set itself, so a run prepared at another resolution can evaluate any model
    photos512 = {sid: data.load_pair(cfg.data, sid)[0] for sid in test_ids}
    photos = {sid: data.downsample_photo(p, r) for sid, p in photos512.items()}
    test_ids = test_ids[:cfg.n]
    severities = [int(s) for s in cfg.severities.split(",")]
    sums = {}
    t0 = time.time()
    ceiling = []
    grid_rows = []
    bar = tqdm(total=len(test_ids) * len(severities), desc="eval", unit="sketch")
    for start in range(0, len(test_ids), cfg.batch):
        chunk = test_ids[start:start + cfg.batch]
        clean = [np.asarray(big[i]) for i in range(start, start + len(chunk))]
        refs = [photos[sid] for sid in chunk]
        clean_lines = [sketches.thin(c < 128) for c in clean]
        for sid, ref, cl in zip(chunk, refs, clean_lines):
            full = np.asarray(Image.fromarray(ref).resize((512, 512), Image.BILINEAR))
            ceiling.append(edge_f1(sketches.edge_map(full), cl, cfg.tolerance))
        for sev in severities:
            canvases = [rough(c, sid, sev, cfg.seed) for c, sid in zip(clean, chunk)]
            outs = synthesize_batch(model, canvases, (1.0, 0.0))
            for j, (canvas, ref, cl) in enumerate(zip(canvases, refs, clean_lines)):
                lines = sketches.thin(canvas < 128)
                for s, imgs in outs.items():
                    img = imgs[j].transpose(1, 2, 0)
                    e = face_edges(img)
                    row = sums.setdefault((sev, s), {"psnr": [], "ssim": [], "f1_input": [], "f1_clean": []})
                    row["psnr"].append(psnr(img, ref))
                    row["ssim"].append(ssim(img, ref))
                    row["f1_input"].append(edge_f1(e, lines, cfg.tolerance))
                    row["f1_clean"].append(edge_f1(e, cl, cfg.tolerance))
                if start + j < cfg.grid and sev in (0, 2):
                    grid_rows.append((start + j, sev, canvas, outs[1.0][j], outs[0.0][j], ref))
                bar.update(1)
    bar.close()
    results = {f"severity{sev}_s{int(s)}": {k: round(float(np.mean(v)), 4) for k, v in row.items()}
               for (sev, s), row in sorted(sums.items())}
    report = {"model": str(cfg.model), "test_ids": f"{test_ids[0]}-{test_ids[-1]}", "n": len(test_ids),
              "resolution": r, "edge_tolerance_px_at_512": cfg.tolerance,
              "photo_edge_f1_vs_clean_sketch": round(float(np.mean(ceiling)), 4), "results": results}
    if cfg.face_n > 0:
        face_ids = all_test[:cfg.face_n]
        report["faces"] = face_measures(cfg, model, face_ids, big, [photos512[i] for i in face_ids],
                                        [photos[i] for i in face_ids], print)
    report["seconds"] = round(time.time() - t0, 1)
    out = Path(cfg.model) / "eval.json"
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    write_grid(Path(cfg.model) / "samples.png", grid_rows)


def write_grid(path, rows, side=128):
    """One row per (test sketch, severity): input sketch | face s=1 | face s=0 (no photos: the repo ships none)."""
    rows = sorted(rows, key=lambda t: (t[1], t[0]))
    tiles = []
    for _, _, canvas, a, b, _ in rows:
        ims = [np.repeat(canvas[..., None], 3, -1), a.transpose(1, 2, 0), b.transpose(1, 2, 0)]
        tiles.append(np.concatenate([np.asarray(Image.fromarray(np.ascontiguousarray(t)).resize((side, side),
                                                                                                Image.LANCZOS))
                                     for t in ims], axis=1))
    if tiles:
        from .samples import save_small_png
        save_small_png(path, np.concatenate(tiles, axis=0))
