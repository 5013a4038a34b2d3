"""`export`: trained checkpoints → a model folder (manifest.json, weights.safetensors, database.safetensors).

`write_model` is the single writer of the format; the tiny fixtures go through it too.
"""
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import save_file

from . import geometry, manifest as mf, models
from .journal import DEFAULT_RUN


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def network_specs(nets, cfg, dtypes=None):
    """(networks manifest section, tensors, flops per network) for a dict of inference networks."""
    dtypes = dtypes or {}
    specs, tensors, flops = {}, {}, {}
    for name, net in nets.items():
        net = net.float().eval().cpu()
        layers, t = mf.layers_of(net, name, dtypes.get(name.split(".")[0], torch.float16))
        specs[name] = {"input": models.input_shape(name, cfg), "layers": layers}
        if name == "generator" and cfg.version >= 2:
            specs[name]["condition"] = cfg.appearance
        tensors.update(t)
        flops[name] = models.count_flops(net, models.input_shape(name, cfg), max(cfg.appearance, 1))
    return specs, tensors, flops


def build_manifest(cfg, specs, k_project, k_shadow, reg, training, appearance=None):
    """The manifest of a model of `cfg.version`; version 2 needs `appearance` {regions, palette, default}."""
    boxes = cfg.boxes or geometry.V1_BOXES
    m = {
        "format": mf.FORMAT, "version": cfg.version,
        "canvas": geometry.CANVAS, "resolution": cfg.resolution,
        "latent": cfg.latent, "feature_channels": cfg.feature_channels,
        "k_project": k_project, "k_shadow": k_shadow, "lle_regularization": reg,
        "components": [{"name": n, "box": list(boxes[n])} for n in geometry.NAMES],
        "fusion_order": list(geometry.FUSION_ORDER),
        "input": {"pixel": "u8 grey, 255 = paper", "normalise": "x = u8 / 127.5 - 1"},
        "output": {"image": "[3, R, R] RGB in [-1, 1]", "denormalise": "u8 = clamp(floor((x + 1) * 127.5 + 0.5), 0, 255)"},
    }
    if cfg.version >= 2:
        m["input_normalisation"] = {"scale": 1 / 127.5, "offset": -1.0}
        m["generator_input"] = list(cfg.generator_blocks())
        m["appearance"] = {"size": cfg.appearance, "regions": list(appearance["regions"]),
                           "palette": [[round(float(v), 6) for v in p] for p in appearance["palette"]],
                           "default": int(appearance.get("default", 0))}
        if appearance.get("region_map"):
            m["appearance"]["region_map"] = region_map_section(appearance["region_map"])
    m["networks"] = specs
    m["training"] = training
    return m


def region_map_section(rm):
    """`appearance.region_map` (docs/MODEL_FORMAT.md, "Region map") from label_stats.json's `region_map`."""
    return {"grid": int(rm["grid"]), "rows": list(rm["rows"]), "fallback": [round(float(v), 6) for v in rm["fallback"]]}


def _atomic_write(path, write):
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def write_model(folder, manifest, tensors, database):
    """Validate, then write the three files of a model folder (each atomically)."""
    mf.validate(manifest, tensors, database)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"format": mf.FORMAT}
    _atomic_write(folder / "manifest.json", lambda p: p.write_text(json.dumps(manifest, indent=1) + "\n"))
    _atomic_write(folder / "weights.safetensors", lambda p: save_file(dict(sorted(tensors.items())), p, meta))
    _atomic_write(folder / "database.safetensors", lambda p: save_file(dict(sorted(database.items())), p, meta))


@dataclass
class Config:
    """Export the trained networks and a database subset to a model folder (and optionally goldens)."""
    run: str = DEFAULT_RUN
    out: str = "models/default"
    part_entries: int = 1500      # database rows per part component (≈ 10 KB per row over the four parts at 128²)
    remainder_entries: int = 300  # remainder crops are the whole R² canvas: 17 KB per row at 128² (66 KB at 256²)
    k_project: int = 10
    k_shadow: int = 10
    lle_regularization: float = 1e-3
    seed: int = 0
    golden: str = ""              # also write goldens for 2 test sketches here (see write_golden)
    golden_ids: str = "auto"      # "auto": the 2 of the first 12 test ids with the best-separated neighbours
    threads: int = 1
    # version 2: the sketch channel the exported generator reads. "trained": the one train-gan fed it at s = 1
    # (`sketch_channel`); "raw" / "projected": override it, e.g. to ship what the evaluation measured best.
    sketch_channel: str = "trained"


def load_trained(run, sketch_channel="trained"):
    """(model config, inference networks, checkpoint facts) from ce.pt + gan.pt of a run."""
    from .build_db import load_encoders
    from .train_gan import build, checkpoint_upsampling
    from .journal import load_checkpoint
    enc, mcfg, ce_state = load_encoders(run, "cpu")
    gan = load_checkpoint(f"{run}/gan.pt")
    mcfg.gen_upsample = checkpoint_upsampling(gan)   # train-gan may have changed it since stage 1
    if mcfg.version >= 2 and mcfg.generator_input is None:
        # the generator reads the sketch channel train-gan gave it (`sketch_channel`; runs before it: raw)
        if sketch_channel not in ("trained", "raw", "projected"):
            raise SystemExit(f"export: sketch_channel must be trained, raw or projected, got {sketch_channel!r}")
        trained = gan["config"].get("sketch_channel", "raw")
        projected = (trained if sketch_channel == "trained" else sketch_channel) == "projected"
        mcfg.generator_input = ("fused", "projected_sketch" if projected else "sketch")
    mappers, gen, _ = build(mcfg, ce_state)
    mappers.load_state_dict(gan["mappers"])
    gen.load_state_dict(gan["gen"])
    nets = {}
    for n in geometry.NAMES:
        nets[f"encoder.{n}"] = enc[n]
    for n in geometry.NAMES:
        nets[f"mapper.{n}"] = mappers[n]
    nets["generator"] = gen
    facts = {"ce_steps": ce_state["step"], "ce_images_seen": ce_state["images_seen"],
             "ce_retrained": ce_state.get("retrained", {}),
             "gan_steps": gan["step"], "gan_images_seen": gan["images_seen"],
             "gan_train_minutes": round(gan["train_seconds"] / 60, 1),
             "ce_config": ce_state["config"], "gan_config": gan["config"],
             "generator_input": list(mcfg.generator_input or ("fused",))}
    warm = gan.get("warm_start") or ce_state.get("warm_start")
    if warm:   # the run began from an exported model (warm_start.py); its counts continue that model's
        facts["warm_start"] = warm
    return mcfg, nets, facts


def main(cfg):
    import numpy as np
    from safetensors.torch import load_file
    from . import data
    from .journal import load_checkpoint, parse_ids
    from .runner import Model
    torch.set_num_threads(cfg.threads)
    mcfg, nets, facts = load_trained(cfg.run, cfg.sketch_channel)
    specs, tensors, flops = network_specs(nets, mcfg)
    params = {k: models.count_params(v) for k, v in nets.items()}
    training = {**facts, "git_commit": git_commit(), "data": "faces-5k (CelebAMask-HQ subset), train ids 0-4499",
                "flops_per_image": flops, "params": params, "total_params": sum(params.values()),
                "model_config": mcfg.to_dict()}
    appearance = None
    if mcfg.version >= 2:
        from . import data
        stats = json.loads((data.data_dir(cfg.run) / "label_stats.json").read_text())
        appearance = {"regions": stats["regions"], "palette": stats["palette"], "default": 0,
                      "region_map": stats.get("region_map")}  # absent in runs made before it (add it: appearance --region-map-only)
        training["appearance_palette_sizes"] = stats["palette_sizes"]
    manifest = build_manifest(mcfg, specs, cfg.k_project, cfg.k_shadow, cfg.lle_regularization, training, appearance)
    ids, sk, _ = data.load(cfg.run)
    db = load_checkpoint(f"{cfg.run}/db.pt")
    rng = np.random.default_rng(cfg.seed)
    model = Model(manifest, {k: v.float() for k, v in tensors.items()}, {})
    database = {}
    for n in geometry.NAMES:
        want = cfg.remainder_entries if n == "remainder" else cfg.part_entries
        pick = np.sort(rng.choice(len(db["rows"]), min(want, len(db["rows"])), replace=False))
        rows = db["rows"].numpy()[pick]
        crops = geometry.crop(np.asarray(sk[rows]), n)
        lat = torch.cat([model.run(f"encoder.{n}", geometry.to_input(crops[i:i + 64]))
                         for i in range(0, len(crops), 64)])
        database[f"{n}.latents"] = lat.float().contiguous()
        database[f"{n}.crops"] = torch.from_numpy(np.ascontiguousarray(crops))
        database[f"{n}.ids"] = torch.from_numpy(ids[rows].astype(np.int32))
    manifest["training"]["database_rows"] = {n: int(database[f"{n}.ids"].shape[0]) for n in geometry.NAMES}
    write_model(cfg.out, manifest, tensors, database)
    out = Path(cfg.out)
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()}
    print(f"wrote {out}: " + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sizes.items())
          + f"; total {sum(sizes.values()) / 1e6:.2f} MB; GFLOP generator {flops['generator'] / 1e9:.2f}, "
          f"mapper.remainder {flops['mapper.remainder'] / 1e9:.2f}, all {sum(flops.values()) / 1e9:.2f}")
    if cfg.golden:
        test_ids = np.load(data.data_dir(cfg.run) / "test_ids.npy").tolist()
        wanted = test_ids[:12] if cfg.golden_ids == "auto" else parse_ids(cfg.golden_ids)
        write_golden(cfg.golden, Model.load(out), cfg.run, wanted, 2 if cfg.golden_ids == "auto" else None)


FUSED_GOLDEN_LIMIT = 1_000_000  # bytes of one f16 fused map; the shipped 32×256×256 map (4.2 MB) is left out


def write_golden(path, model, run, candidates, keep=None):
    """Goldens of an exported model for test sketches (ids from the prepared test set).

    `fused` is stored as f16, and only when that is under FUSED_GOLDEN_LIMIT (docs/MODEL_FORMAT.md); with
    `keep`, the `keep` candidates whose neighbour distances are best separated are written.
    """
    import numpy as np
    from safetensors.torch import save_file
    from . import data, projection
    test_ids = np.load(data.data_dir(run) / "test_ids.npy").tolist()
    big = np.load(data.data_dir(run) / "test_sketches512.npy", mmap_mode="r")
    k = max(model.manifest["k_project"], model.manifest["k_shadow"])
    scored = []
    for sid in candidates:
        out = model.synthesize(np.asarray(big[test_ids.index(sid)]), 1.0)
        gaps = []
        for n in geometry.NAMES:
            _, d = projection.knn(out[f"{n}.latent"], model.latents(n), k + 1)
            gaps.append(float(np.min(np.diff(d)) / d[k - 1]))
        scored.append((min(gaps), sid, out))
    if keep:
        scored = sorted(scored, key=lambda t: -t[0])[:keep]
    golden = {}
    for i, (_, sid, out) in enumerate(scored):
        out["fused"] = out["fused"].astype(np.float16)
        if out["fused"].nbytes > FUSED_GOLDEN_LIMIT:
            del out["fused"]
        for key, v in out.items():
            golden[f"sketch{i}.{key}"] = torch.from_numpy(np.array(v))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(dict(sorted(golden.items())), path, {"format": "sketchface-golden",
                                                   "test_ids": ",".join(str(t[1]) for t in scored)})
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) for test ids {[t[1] for t in scored]}; smallest "
          f"relative KNN distance gap {min(t[0] for t in scored):.2e}")
