"""Reference manifest runner: executes an exported model folder with torch, knowing nothing of `models.py`.

Goldens are produced here, so they test the exported files; the runtime benchmark uses it as the PyTorch
comparison. `Model.load(folder)` → `model.synthesize(canvas, s)`; every intermediate is returned.
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from . import geometry, projection


def run_layers(layers, x, w, a=None):
    """Apply a manifest layer list to a batched tensor x [B, ...] with weights dict w (f32 tensors);
    `a` [B, A] is the condition vector of a conditioned network (read by `film`)."""
    for l in layers:
        kind = l["type"]
        if kind == "conv":
            p = l["padding"]
            if l["pad_mode"] == "reflect" and p:
                x = F.pad(x, (p, p, p, p), mode="reflect")
                p = 0
            x = F.conv2d(x, w[l["weight"]], w[l["bias"]] if l["bias"] else None, l["stride"], p)
        elif kind == "conv_transpose":
            x = F.conv_transpose2d(x, w[l["weight"]], w[l["bias"]] if l["bias"] else None, l["stride"],
                                   l["padding"], l["output_padding"])
        elif kind == "upsample":
            if l["mode"] == "bilinear":
                x = F.interpolate(x, scale_factor=l["scale"], mode="bilinear", align_corners=False)
            else:
                x = F.interpolate(x, scale_factor=l["scale"], mode="nearest")
        elif kind == "instance_norm":
            x = F.instance_norm(x, weight=w[l["weight"]] if l.get("weight") else None,
                                bias=w[l["bias"]] if l.get("bias") else None, eps=l["eps"])
        elif kind == "relu":
            x = F.relu(x)
        elif kind == "leaky_relu":
            x = F.leaky_relu(x, l["slope"])
        elif kind == "tanh":
            x = torch.tanh(x)
        elif kind == "sigmoid":
            x = torch.sigmoid(x)
        elif kind == "linear":
            x = F.linear(x.reshape(x.shape[0], -1), w[l["weight"]], w[l["bias"]] if l["bias"] else None)
        elif kind == "flatten":
            x = x.reshape(x.shape[0], -1)
        elif kind == "reshape":
            x = x.reshape(x.shape[0], *l["shape"])
        elif kind == "residual":
            x = x + run_layers(l["layers"], x, w, a)
        elif kind == "concat":
            x = torch.cat([x, run_layers(l["layers"], x, w, a)], 1)
        elif kind == "film":
            g = F.linear(a, w[l["weight"]], w[l["bias"]])[:, :, None, None]
            c = l["channels"]
            x = x * (1 + g[:, :c]) + g[:, c:]
        else:
            raise ValueError(f"unknown layer type {kind!r}")
    return x


class Model:
    """An exported model folder: manifest, f32 copies of the weights, and the component database."""

    def __init__(self, manifest, weights, database):
        self.manifest, self.weights, self.database = manifest, weights, database
        self.resolution = manifest["resolution"]
        self.version = manifest["version"]
        geometry.use_boxes({c["name"]: c["box"] for c in manifest["components"]})

    @staticmethod
    def load(folder, database=None):
        folder = Path(folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        weights = {k: v.float() for k, v in load_file(folder / "weights.safetensors").items()}
        db = load_file(Path(database) if database else folder / "database.safetensors")
        return Model(manifest, weights, db)

    @torch.no_grad()
    def run(self, net, x, a=None):
        """Run network `net` on one unbatched input (or a batch with a leading axis); `a`: its condition."""
        spec = self.manifest["networks"][net]
        x = torch.as_tensor(x).float()
        single = list(x.shape) == spec["input"]
        if a is not None:
            a = torch.as_tensor(np.asarray(a, np.float32)).clamp(-1, 1)
            a = a.unsqueeze(0) if a.dim() == 1 else a
            a = a.expand(1 if single else len(x), -1)
        y = run_layers(spec["layers"], x.unsqueeze(0) if single else x, self.weights, a)
        return y[0] if single else y

    def appearance(self, which="default"):
        """An appearance code: `default`, a palette index, or a code; None for a version 1 model."""
        app = self.manifest.get("appearance")
        if app is None:
            return None
        if isinstance(which, str) and which == "default":
            which = app["default"]
        if isinstance(which, (int, np.integer)):
            return np.asarray(app["palette"][int(which)], np.float32)
        return np.clip(np.asarray(which, np.float32), -1, 1)

    def appearance_from_photo(self, rgb_u8):
        """The appearance code of an aligned, square RGB u8 photo [S, S, 3] by the manifest's region map."""
        from .appearance import code_from_photo
        rm = (self.manifest.get("appearance") or {}).get("region_map")
        if rm is None:
            raise ValueError("this model has no region map; re-export it (appearance --region-map-only, then export)")
        return code_from_photo(rgb_u8, rm["rows"], rm["fallback"])

    def generator_blocks(self):
        return self.manifest.get("generator_input", ["fused"])

    def generator_input(self, fused, small, knn=None, weights=None, sliders=1.0):
        """cat(fused, sketch channel) per `generator_input` (small: u8 [.., R, R] downsampled canvases).

        A `projected_sketch` model needs each component's projection: `knn` name → ids [K] (or [B, K]),
        `weights` name → LLE weights [K] (or [B, K]), `sliders` a number or name → number."""
        blocks = self.generator_blocks()
        if "sketch" in blocks:
            return torch.cat([fused, geometry.to_input(small)], -3)
        if "projected_sketch" in blocks:
            if knn is None or weights is None:
                raise ValueError("a projected_sketch generator needs every component's knn ids and weights")
            return torch.cat([fused, self.sketch_input(small, knn, weights, sliders)], -3)
        return fused

    def sketch_input(self, small, knn, weights, sliders=1.0):
        """The `projected_sketch` channel [.., 1, R, R] f32: `geometry.projected_sketch` in float64 over the
        normalised crops of `small` and the database crops of each component's neighbours."""
        small = np.asarray(small)
        batch = small[None] if small.ndim == 2 else small
        crops, nbrs, ws = {}, {}, {}
        for name in geometry.NAMES:
            crops[name] = geometry.to_input(geometry.crop(batch, name)).double()
            ids = np.asarray(knn[name], np.int64).reshape(len(batch), -1)
            db = self.database[f"{name}.crops"].numpy()
            nbrs[name] = torch.from_numpy(db[ids].astype(np.float64) / 127.5 - 1.0)
            ws[name] = torch.from_numpy(np.asarray(weights[name], np.float64).reshape(len(batch), -1))
        x = geometry.projected_sketch(crops, nbrs, ws, sliders).float()
        return x[0] if small.ndim == 2 else x

    def latents(self, name):
        return self.database[f"{name}.latents"].numpy()

    def synthesize(self, canvas, s=1.0, appearance="default"):
        """Full pipeline on a u8 [512, 512] canvas; returns a dict of every intermediate (golden names)."""
        m, r = self.manifest, self.resolution
        small = geometry.downsample(canvas, r)
        out, features, knn, weights = {"canvas": np.asarray(canvas, np.uint8)}, {}, {}, {}
        for name in geometry.NAMES:
            c = geometry.crop(small, name)
            z = self.run(f"encoder.{name}", geometry.to_input(c)).double().numpy()
            lat = self.latents(name)
            final, ids, w, p = projection.project(z, lat, m["k_project"], m["lle_regularization"], s)
            out[f"{name}.crop"] = c
            out[f"{name}.latent"] = z.astype(np.float32)
            out[f"{name}.knn"] = ids
            knn[name], weights[name] = ids, w
            out[f"{name}.weights"] = w.astype(np.float32)
            out[f"{name}.projected"] = p.astype(np.float32)
            out[f"{name}.shadow"] = projection.shadow(z, lat, self.database[f"{name}.crops"].numpy(), m["k_shadow"])
            features[name] = self.run(f"mapper.{name}", torch.from_numpy(final.astype(np.float32)))
        fused = geometry.fuse(features, r)
        out["fused"] = fused.numpy()
        a = self.appearance(appearance)
        if a is not None:
            out["appearance"] = a
        x = self.generator_input(fused, small, knn, weights, s)
        if "projected_sketch" in self.generator_blocks():
            out["sketch_input"] = x[-1:].numpy()
        out["image"] = geometry.to_u8_image(self.run("generator", x, a))
        return out
