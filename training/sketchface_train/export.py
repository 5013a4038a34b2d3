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
        tensors.update(t)
        flops[name] = models.count_flops(net, models.input_shape(name, cfg))
    return specs, tensors, flops


def build_manifest(cfg, specs, k_project, k_shadow, reg, training):
    return {
        "format": mf.FORMAT, "version": mf.VERSION,
        "canvas": geometry.CANVAS, "resolution": cfg.resolution,
        "latent": cfg.latent, "feature_channels": cfg.feature_channels,
        "k_project": k_project, "k_shadow": k_shadow, "lle_regularization": reg,
        "components": [{"name": c.name, "box": list(c.box)} for c in geometry.COMPONENTS],
        "fusion_order": list(geometry.FUSION_ORDER),
        "input": {"pixel": "u8 grey, 255 = paper", "normalise": "x = u8 / 127.5 - 1"},
        "output": {"image": "[3, R, R] RGB in [-1, 1]", "denormalise": "u8 = clamp(floor((x + 1) * 127.5 + 0.5), 0, 255)"},
        "networks": specs,
        "training": training,
    }


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
