"""Export side of the contract: nn.Sequential ⇄ manifest layer list, and manifest validation.

`layers_of` walks an inference network built by `models.py` and emits the explicit layer list of
docs/MODEL_FORMAT.md plus the tensors it names. `validate` checks a manifest against its weights, so both the
exporter and the tests reject a malformed model with a precise message.
"""
import torch
import torch.nn as nn

from . import geometry
from .models import Concat, FiLM, Reshape, Residual

FORMAT = "sketchface-model"
VERSIONS = (1, 2)


class ManifestError(ValueError):
    pass


def layers_of(net, prefix, dtype=torch.float16):
    """(layers, tensors) for an nn.Sequential; tensor names are `prefix.<index path>.weight|bias`."""
    layers, tensors = [], {}

    def put(name, t):
        if t is None:
            return None
        tensors[name] = t.detach().to(dtype).contiguous().cpu()
        return name

    for i, m in enumerate(net):
        p = f"{prefix}.{i}"
        if isinstance(m, nn.Conv2d):
            if m.groups != 1 or m.dilation != (1, 1) or m.kernel_size[0] != m.kernel_size[1]:
                raise ManifestError(f"{p}: only square, ungrouped, undilated convs export")
            layers.append({"type": "conv", "in": m.in_channels, "out": m.out_channels, "kernel": m.kernel_size[0],
                           "stride": m.stride[0], "padding": m.padding[0], "pad_mode": m.padding_mode,
                           "weight": put(p + ".weight", m.weight), "bias": put(p + ".bias", m.bias)})
        elif isinstance(m, nn.ConvTranspose2d):
            layers.append({"type": "conv_transpose", "in": m.in_channels, "out": m.out_channels,
                           "kernel": m.kernel_size[0], "stride": m.stride[0], "padding": m.padding[0],
                           "output_padding": m.output_padding[0],
                           "weight": put(p + ".weight", m.weight), "bias": put(p + ".bias", m.bias)})
        elif isinstance(m, nn.Upsample):
            if float(m.scale_factor) != int(m.scale_factor) or not (
                    m.mode == "nearest" or (m.mode == "bilinear" and not m.align_corners and m.scale_factor == 2)):
                raise ManifestError(f"{p}: only integer nearest and ×2 bilinear (align_corners=False) upsampling "
                                    f"export")
            layers.append({"type": "upsample", "scale": int(m.scale_factor), "mode": m.mode})
        elif isinstance(m, nn.InstanceNorm2d):
            layers.append({"type": "instance_norm", "channels": m.num_features, "eps": m.eps,
                           "weight": put(p + ".weight", m.weight) if m.affine else None,
                           "bias": put(p + ".bias", m.bias) if m.affine else None})
        elif isinstance(m, nn.LeakyReLU):
            layers.append({"type": "leaky_relu", "slope": m.negative_slope})
        elif isinstance(m, nn.ReLU):
            layers.append({"type": "relu"})
        elif isinstance(m, nn.Tanh):
            layers.append({"type": "tanh"})
        elif isinstance(m, nn.Sigmoid):
            layers.append({"type": "sigmoid"})
        elif isinstance(m, nn.Linear):
            layers.append({"type": "linear", "in": m.in_features, "out": m.out_features,
                           "weight": put(p + ".weight", m.weight), "bias": put(p + ".bias", m.bias)})
        elif isinstance(m, nn.Flatten):
            layers.append({"type": "flatten"})
        elif isinstance(m, Reshape):
            layers.append({"type": "reshape", "shape": list(m.shape)})
        elif isinstance(m, (Residual, Concat)):
            inner, t = layers_of(m.body, p + ".body", dtype)
            tensors.update(t)
            layers.append({"type": "residual" if isinstance(m, Residual) else "concat", "layers": inner})
        elif isinstance(m, FiLM):
            layers.append({"type": "film", "channels": m.channels,
                           "weight": put(p + ".proj.weight", m.proj.weight), "bias": put(p + ".proj.bias", m.proj.bias)})
        else:
            raise ManifestError(f"{p}: {type(m).__name__} has no manifest layer type")
    return layers, tensors


def output_shape(layers, shape, tensors, condition=None):
    """Propagate a [C, H, W] / [N] shape through a layer list, checking every tensor's shape on the way.

    `condition` is the network's condition size (None: the network takes no condition, so `film` is refused).
    """
    shape = list(shape)

    def need(name, expected, where):
        if name is None:
            return
        if name not in tensors:
            raise ManifestError(f"{where}: tensor {name!r} missing from weights")
        if list(tensors[name].shape) != list(expected):
            raise ManifestError(f"{where}: tensor {name!r} has shape {list(tensors[name].shape)}, want {expected}")

    for i, l in enumerate(layers):
        where, kind = f"layer {i} ({l.get('type')})", l.get("type")
        if kind in ("conv", "conv_transpose"):
            if len(shape) != 3 or shape[0] != l["in"]:
                raise ManifestError(f"{where}: input {shape} does not have {l['in']} channels")
            k, s, p = l["kernel"], l["stride"], l["padding"]
            if kind == "conv":
                if l["pad_mode"] not in ("zeros", "reflect"):
                    raise ManifestError(f"{where}: pad_mode {l['pad_mode']!r}")
                if l["pad_mode"] == "reflect" and p >= min(shape[1:]):
                    raise ManifestError(f"{where}: reflect padding {p} too large for {shape}")
                need(l["weight"], [l["out"], l["in"], k, k], where)
                shape = [l["out"]] + [(d + 2 * p - k) // s + 1 for d in shape[1:]]
            else:
                need(l["weight"], [l["in"], l["out"], k, k], where)
                shape = [l["out"]] + [(d - 1) * s - 2 * p + k + l["output_padding"] for d in shape[1:]]
            need(l.get("bias"), [l["out"]], where)
        elif kind == "upsample":
            if not isinstance(l.get("scale"), int) or l["scale"] < 1 or l.get("mode") not in ("nearest", "bilinear") \
                    or (l["mode"] == "bilinear" and l["scale"] != 2):
                raise ManifestError(f"{where}: needs mode nearest with an integer scale, or mode bilinear with scale 2")
            shape = [shape[0]] + [d * l["scale"] for d in shape[1:]]
        elif kind == "instance_norm":
            if shape[0] != l["channels"]:
                raise ManifestError(f"{where}: {l['channels']} channels, input {shape}")
            need(l.get("weight"), [l["channels"]], where)
            need(l.get("bias"), [l["channels"]], where)
        elif kind in ("relu", "tanh", "sigmoid"):
            pass
        elif kind == "leaky_relu":
            if not isinstance(l.get("slope"), (int, float)):
                raise ManifestError(f"{where}: needs a numeric slope")
        elif kind == "linear":
            n = 1
            for d in shape:
                n *= d
            if n != l["in"]:
                raise ManifestError(f"{where}: input of {n} values, layer takes {l['in']}")
            need(l["weight"], [l["out"], l["in"]], where)
            need(l.get("bias"), [l["out"]], where)
            shape = [l["out"]]
        elif kind == "flatten":
            n = 1
            for d in shape:
                n *= d
            shape = [n]
        elif kind == "reshape":
            n, m = 1, 1
            for d in shape:
                n *= d
            for d in l["shape"]:
                m *= d
            if n != m:
                raise ManifestError(f"{where}: cannot reshape {shape} to {l['shape']}")
            shape = list(l["shape"])
        elif kind == "residual":
            inner = output_shape(l["layers"], shape, tensors, condition)
            if inner != shape:
                raise ManifestError(f"{where}: residual body maps {shape} to {inner}")
        elif kind == "concat":
            inner = output_shape(l["layers"], shape, tensors, condition)
            if len(shape) != 3 or len(inner) != 3 or inner[1:] != shape[1:]:
                raise ManifestError(f"{where}: concat body maps {shape} to {inner}; H and W must stay")
            shape = [shape[0] + inner[0]] + shape[1:]
        elif kind == "film":
            if condition is None:
                raise ManifestError(f"{where}: film in a network without a condition")
            if len(shape) != 3 or shape[0] != l["channels"]:
                raise ManifestError(f"{where}: {l['channels']} channels, input {shape}")
            need(l["weight"], [2 * l["channels"], condition], where)
            need(l["bias"], [2 * l["channels"]], where)
        else:
            raise ManifestError(f"{where}: unknown layer type {kind!r}")
    return shape


def validate_region_map(rm, regions, size):
    """`appearance.region_map`: a grid of `grid` rows of `grid` cells, each '.' or a region index digit,
    and a fallback code of `size` numbers in [-1, 1]."""
    grid, rows, fallback = rm.get("grid"), rm.get("rows"), rm.get("fallback")
    if not isinstance(grid, int) or not 1 <= grid <= 512:
        raise ManifestError(f"appearance.region_map: grid must be an integer in 1…512, got {grid!r}")
    if regions > 10:
        raise ManifestError(f"appearance.region_map: a region map indexes at most 10 regions, not {regions}")
    cells = {"."} | {str(r) for r in range(regions)}
    if not isinstance(rows, list) or len(rows) != grid:
        raise ManifestError(f"appearance.region_map: rows must be {grid} strings")
    for y, row in enumerate(rows):
        if not isinstance(row, str) or len(row) != grid or not set(row) <= cells:
            raise ManifestError(f"appearance.region_map: row {y} must be {grid} characters of {''.join(sorted(cells))}")
    if (not isinstance(fallback, list) or len(fallback) != size
            or not all(isinstance(v, (int, float)) and -1 <= v <= 1 for v in fallback)):
        raise ManifestError(f"appearance.region_map: fallback must be {size} numbers in [-1, 1]")


def validate(manifest, tensors, database=None):
    """Raise ManifestError unless the manifest, weights (and database, if given) fit together."""
    if manifest.get("format") != FORMAT or manifest.get("version") not in VERSIONS:
        raise ManifestError(f"not a {FORMAT} manifest of version {' or '.join(map(str, VERSIONS))}")
    version = manifest["version"]
    if version < 2:
        for key in ("input_normalisation", "generator_input", "appearance"):
            if key in manifest:
                raise ManifestError(f"{key}: only in version 2 (this manifest says version {version})")
    r = manifest.get("resolution")
    if manifest.get("canvas") != geometry.CANVAS or not isinstance(r, int) or r <= 0 or geometry.CANVAS % r:
        raise ManifestError(f"canvas must be 512 and resolution divide it, got {manifest.get('canvas')}, {r}")
    f = geometry.CANVAS // r
    names = [c["name"] for c in manifest.get("components", [])]
    if names != list(geometry.NAMES):
        raise ManifestError(f"components must be {list(geometry.NAMES)}, got {names}")
    if manifest.get("fusion_order") != list(geometry.FUSION_ORDER):
        raise ManifestError("fusion_order must be mouth, nose, left_eye, right_eye")
    latent, fc = manifest["latent"], manifest["feature_channels"]
    for key in ("k_project", "k_shadow"):
        if not isinstance(manifest.get(key), int) or manifest[key] < 1:
            raise ManifestError(f"{key} must be a positive integer")
    nets = manifest.get("networks", {})
    for c in manifest["components"]:
        x, y, side = c["box"]
        if side % f:
            raise ManifestError(f"{c['name']}: side {side} not divisible by {f}")
        s = side // f
        enc, mp = nets.get(f"encoder.{c['name']}"), nets.get(f"mapper.{c['name']}")
        if enc is None or mp is None:
            raise ManifestError(f"{c['name']}: encoder or mapper missing")
        if enc["input"] != [1, s, s] or output_shape(enc["layers"], enc["input"], tensors) != [latent]:
            raise ManifestError(f"encoder.{c['name']}: must map [1, {s}, {s}] to [{latent}]")
        if mp["input"] != [latent] or output_shape(mp["layers"], mp["input"], tensors) != [fc, s, s]:
            raise ManifestError(f"mapper.{c['name']}: must map [{latent}] to [{fc}, {s}, {s}]")
        if database is not None:
            lat, crops, ids = (database.get(f"{c['name']}.{k}") for k in ("latents", "crops", "ids"))
            if lat is None or crops is None or ids is None:
                raise ManifestError(f"database: {c['name']} latents/crops/ids missing")
            n = lat.shape[0]
            if list(lat.shape) != [n, latent] or list(crops.shape) != [n, s, s] or list(ids.shape) != [n]:
                raise ManifestError(f"database: {c['name']} shapes {list(lat.shape)}, {list(crops.shape)}, "
                                    f"{list(ids.shape)}")
            if lat.dtype != torch.float32 or crops.dtype != torch.uint8 or ids.dtype != torch.int32:
                raise ManifestError(f"database: {c['name']} dtypes must be f32, u8, i32")
            if n < max(manifest["k_project"], manifest["k_shadow"]):
                raise ManifestError(f"database: {c['name']} has {n} rows, fewer than K")
    gen = nets.get("generator")
    cin, cond = fc, None
    if version >= 2:
        norm = manifest.get("input_normalisation", {})
        if not all(isinstance(norm.get(k), (int, float)) for k in ("scale", "offset")):
            raise ManifestError("input_normalisation needs numeric scale and offset")
        gi = manifest.get("generator_input")
        if gi not in [list(g) for g in geometry.GENERATOR_INPUTS]:
            raise ManifestError(f"generator_input must be one of {[list(g) for g in geometry.GENERATOR_INPUTS]}, "
                                f"got {gi}")
        cin = fc + len(gi) - 1
        app = manifest.get("appearance", {})
        size = app.get("size")
        palette = app.get("palette")
        if not isinstance(size, int) or size < 1 or not palette or any(len(p) != size for p in palette):
            raise ManifestError(f"appearance: size must be a positive integer and every palette code that long")
        if not isinstance(app.get("default"), int) or not 0 <= app["default"] < len(palette):
            raise ManifestError(f"appearance: default must index the palette ({len(palette)} codes)")
        if "region_map" in app:
            validate_region_map(app["region_map"], len(app.get("regions", [])), size)
        cond = size
        if gen is not None and gen.get("condition") != size:
            raise ManifestError(f"generator: condition must equal appearance.size {size}")
    if gen is None or gen["input"] != [cin, r, r] or output_shape(gen["layers"], gen["input"], tensors,
                                                                   cond) != [3, r, r]:
        raise ManifestError(f"generator: must map [{cin}, {r}, {r}] to [3, {r}, {r}]")
    for name, t in tensors.items():
        if t.dtype not in (torch.float16, torch.float32):
            raise ManifestError(f"weights: {name} is {t.dtype}, want f16 or f32")
