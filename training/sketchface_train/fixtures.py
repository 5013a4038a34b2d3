"""`fixtures`: the tiny test model and its goldens for the Swift parity tests, generated deterministically.

Randomly initialised (fixed seed) networks of the real architecture at R=64 with tiny widths, so every layer
type of the shipped model is exercised; a database of procedural sketches; goldens computed by the reference
runner from the exported files. The database is re-drawn until every fixture query's neighbour order is well
separated, so neighbour ids are robust to float rounding on the runtime side.
"""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

from . import export, geometry, models, projection, synthetic
from .manifest import layers_of
from .runner import Model, run_layers

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Config:
    out: str = str(REPO / "Tests/FaceModelTests/Fixtures/tiny")
    projected_out: str = str(REPO / "Tests/FaceModelTests/Fixtures/tiny-projected")  # "" = skip the variant
    bilinear_out: str = str(REPO / "Tests/FaceModelTests/Fixtures/bilinear-golden.safetensors")  # "" = skip
    seed: int = 4
    entries: int = 32           # database rows per part component
    remainder_entries: int = 16  # the remainder's crops are the whole 64² canvas: fewer rows keep the files small
    k_project: int = 6
    k_shadow: int = 4
    min_gap: float = 2e-3       # smallest allowed relative gap between consecutive neighbour distances


# The tiny model is format version 2 with the data-derived box layout of the v2 models (runs' label_stats.json)
# and deliberately non-default appearance constants: 2 regions (6 floats), 3 palette codes, default index 1.
BOXES = {"left_eye": (128, 184, 128), "right_eye": (256, 184, 128), "nose": (176, 216, 160),
         "mouth": (160, 288, 192), "remainder": (0, 0, 512)}
APPEARANCE = {"regions": ["skin", "hair"],
              "palette": [[0.1, -0.2, 0.3, -0.4, 0.5, -0.6], [0.7, 0.2, -0.1, -0.9, -0.3, 0.4],
                          [-0.5, 0.6, 0.0, 0.25, -0.75, 0.9]],
              "default": 1,
              # an 8×8 region map (skin 0, hair 1) and the goldens' synthetic photos: 37² (not a multiple of the
              # grid, so the pixel-centre rule matters) and a grey 24²; never crops of dataset photos (licence)
              "region_map": {"grid": 8, "fallback": [0.3, -0.1, -0.2, -0.6, -0.7, -0.8],
                             "rows": ["11111111", "1.0000.1", "1000000.", ".000000.",
                                      "..0000..", "..0000..", "...00...", "........"]}}
PHOTOS = ((37, "rgb"), (24, "grey"))


def synthetic_photos(seed=11):
    """Fixture photos [S, S, 3] u8: a colour gradient plus noise (the grey one has R = G = B)."""
    rng = np.random.default_rng(seed)
    out = []
    for side, kind in PHOTOS:
        y, x = np.mgrid[0:side, 0:side] * (255 / side)
        img = np.stack([x, y, 255 - (x + y) / 2], -1) * 0.7 + rng.integers(0, 77, (side, side, 3))
        img = np.clip(img, 0, 255).astype(np.uint8)
        out.append(np.repeat(img[..., :1], 3, -1) if kind == "grey" else img)
    return out


def appearance_golden(model):
    """`photo{i}.rgb` [S, S, 3] u8 and `photo{i}.appearance` f32 (the runner's code from the region map)."""
    golden = {}
    for i, photo in enumerate(synthetic_photos()):
        golden[f"photo{i}.rgb"] = torch.from_numpy(photo)
        golden[f"photo{i}.appearance"] = torch.from_numpy(model.appearance_from_photo(photo))
    return golden

FIXTURE_SKETCHES = (
    dict(seed=7),                                          # a complete face
    dict(seed=8, parts=("head", "eyes", "nose", "hair")),  # half-drawn: no brows, no mouth (blank crop)
)


def init_tiny(seed):
    torch.manual_seed(seed)
    cfg = models.ModelConfig.tiny_v2(BOXES)
    cfg.appearance = 3 * len(APPEARANCE["regions"])
    cfg.install_boxes()
    nets = models.inference_networks(cfg)
    with torch.no_grad():
        for net in nets.values():
            for m in net.modules():
                if isinstance(m, nn.InstanceNorm2d) and m.affine:
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.3, 0.3)
                if isinstance(m, models.FiLM):   # trained FiLM layers are far from their identity init
                    m.proj.weight.uniform_(-0.4, 0.4)
                    m.proj.bias.uniform_(-0.2, 0.2)
    return cfg, nets


def database_sketches(cfg, offset):
    """Varied procedural sketches, some missing parts, drawn from seeds offset, offset+1, …"""
    variants = [None, ("head", "hair", "eyes", "nose", "mouth"), ("head", "brows", "eyes", "mouth"),
                ("hair", "eyes", "nose", "mouth", "brows")]
    out = []
    for i in range(cfg.entries):
        parts = variants[i % len(variants)]
        out.append(synthetic.face(1000 + offset + i, parts) if parts else synthetic.face(1000 + offset + i))
    return out


def separation(z, latents, k):
    """Smallest gap between the k+1 nearest sorted distances, relative to the k-th distance."""
    _, d = projection.knn(z, latents, min(k + 1, len(latents)))
    return float(np.min(np.diff(d)) / max(d[k - 1], 1e-30))


def build(cfg_fx):
    cfg, nets = init_tiny(cfg_fx.seed)
    cfg.entries = cfg_fx.entries
    dtypes = {"encoder": torch.float16, "mapper": torch.float16, "generator": torch.float32}
    specs, tensors, flops = export.network_specs(nets, cfg, dtypes)
    training = {"note": "tiny test model: random weights (seed %d), not trained" % cfg_fx.seed,
                "flops": flops, "database": "procedural sketches (synthetic.py)"}
    manifest = export.build_manifest(cfg, specs, cfg_fx.k_project, cfg_fx.k_shadow, 1e-3, training, APPEARANCE)
    canvases = [synthetic.face(**s) for s in FIXTURE_SKETCHES]
    k = max(cfg_fx.k_project, cfg_fx.k_shadow)
    for offset in range(0, 4000, cfg_fx.entries):
        model = Model(manifest, {n: t.float() for n, t in tensors.items()}, {})
        sketches = database_sketches(cfg, offset)
        small = geometry.downsample(np.stack(sketches), cfg.resolution)
        database = {}
        for name in geometry.NAMES:
            n = cfg_fx.remainder_entries if name == "remainder" else cfg.entries
            crops = geometry.crop(small[:n], name)
            lat = model.run(f"encoder.{name}", geometry.to_input(crops))
            database[f"{name}.latents"] = lat.contiguous()
            database[f"{name}.crops"] = torch.from_numpy(crops)
            database[f"{name}.ids"] = torch.arange(1000 + offset, 1000 + offset + n, dtype=torch.int32)
        queries = [(name, model.run(f"encoder.{name}", geometry.to_input(
            geometry.crop(geometry.downsample(c, cfg.resolution), name))).double().numpy())
            for c in canvases for name in geometry.NAMES]
        worst = min(separation(z, database[f"{n}.latents"].numpy(), k) for n, z in queries)
        if worst >= cfg_fx.min_gap:
            break
    else:
        raise RuntimeError("no well-separated database found")
    manifest["training"]["database_offset"] = offset
    manifest["training"]["min_relative_knn_gap"] = round(worst, 6)
    return manifest, tensors, database, goldens(manifest, tensors, database)


def goldens(manifest, tensors, database):
    """The reference runner's intermediates (s = 1) for every fixture sketch, `sketch{i}.` prefixed."""
    model = Model(manifest, {n: t.float() for n, t in tensors.items()}, database)
    golden = {}
    for i, spec in enumerate(FIXTURE_SKETCHES):
        for key, value in model.synthesize(synthetic.face(**spec), 1.0).items():
            golden[f"sketch{i}.{key}"] = torch.from_numpy(np.ascontiguousarray(value))
    return golden


def projected_variant(manifest, tensors, database):
    """(manifest, tensors, database, goldens) of the same tiny model with `generator_input` ["fused",
    "projected_sketch"]: same networks and database (the generator's extra channel has the same shape);
    its goldens add `sketch_input`."""
    variant = dict(manifest, generator_input=["fused", "projected_sketch"])
    variant["training"] = dict(manifest["training"], note=manifest["training"]["note"]
                               + "; generator input: the projected sketch")
    return variant, tensors, database, goldens(variant, tensors, database)


# Bilinear ×2 upsampling goldens: odd and even sides, a single row, a single column, a single pixel.
BILINEAR_SHAPES = ((3, 5, 8), (2, 1, 7), (2, 6, 1), (1, 1, 1))
BILINEAR_NET_INPUT = (4, 7, 6)


def bilinear_golden(seed=5):
    """Tensors of `bilinear-golden.safetensors`: `upsample{i}.input`/`.output` of F.interpolate (×2, bilinear,
    align_corners=False) per BILINEAR_SHAPES, and a small generator-like network (reflect conv, bilinear ×2,
    reflect convs) exported by `layers_of` (f32 `net.*` tensors; `net.layers` u8 is its manifest layer list as
    UTF-8 JSON, kept out of the header metadata, whose key order safetensors does not keep) with
    `net.input`/`net.output` from the reference runner."""
    torch.manual_seed(seed)
    golden = {}
    for i, shape in enumerate(BILINEAR_SHAPES):
        x = torch.randn(shape)
        golden[f"upsample{i}.input"] = x
        golden[f"upsample{i}.output"] = F.interpolate(x[None], scale_factor=2, mode="bilinear", align_corners=False)[0]
    c = BILINEAR_NET_INPUT[0]
    net = nn.Sequential(nn.Conv2d(c, 8, 3, 1, 1, padding_mode="reflect"), nn.ReLU(), models.upsample("bilinear"),
                        nn.Conv2d(8, 8, 3, 1, 1, padding_mode="reflect"), nn.ReLU(),
                        nn.Conv2d(8, 3, 3, 1, 1, padding_mode="reflect"))
    layers, tensors = layers_of(net, "net", torch.float32)
    x = torch.randn(BILINEAR_NET_INPUT)
    with torch.no_grad():
        y = run_layers(layers, x[None], tensors)[0]
    golden.update(tensors)
    golden["net.input"], golden["net.output"] = x, y
    golden["net.layers"] = torch.frombuffer(bytearray(json.dumps(layers).encode()), dtype=torch.uint8)
    return golden


def write(out, manifest, tensors, database, golden):
    out = Path(out)
    export.write_model(out, manifest, tensors, database)
    save_file(dict(sorted(golden.items())), out / "golden.safetensors", {"format": "sketchface-golden"})
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    print(f"wrote {out}: " + ", ".join(f"{k} {v} B" for k, v in sizes.items()) + f", total {sum(sizes.values())} B")


def main(cfg):
    torch.set_num_threads(1)
    manifest, tensors, database, golden = build(cfg)
    write(cfg.out, manifest, tensors, database, golden)
    photos = appearance_golden(Model(manifest, {}, database))
    path = Path(cfg.out) / "appearance-golden.safetensors"
    save_file(dict(sorted(photos.items())), path, {"format": "sketchface-golden"})
    print(f"wrote {path} ({path.stat().st_size} B): codes of {len(PHOTOS)} synthetic photos by the region map")
    print(f"database offset {manifest['training']['database_offset']}, "
          f"min relative KNN gap {manifest['training']['min_relative_knn_gap']}")
    if cfg.projected_out:
        write(cfg.projected_out, *projected_variant(manifest, tensors, database))
    if cfg.bilinear_out:
        save_file(dict(sorted(bilinear_golden().items())), cfg.bilinear_out, {"format": "sketchface-golden"})
        print(f"wrote {cfg.bilinear_out} ({Path(cfg.bilinear_out).stat().st_size} B): bilinear ×2 upsampling goldens")
