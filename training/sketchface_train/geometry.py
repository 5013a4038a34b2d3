"""Canvas geometry shared by every job: component boxes, the downsampling rule and crops.

Everything here follows docs/MODEL_FORMAT.md exactly; the Swift runtime implements the same rules.
Canvases are u8 grey, 255 = white paper, 0 = black ink.
"""
from dataclasses import dataclass

import numpy as np
import torch

CANVAS = 512


@dataclass(frozen=True)
class Component:
    """A named square window of the 512 canvas; `box` is (x, y, side) of the top-left corner."""
    name: str
    box: tuple

    def box_at(self, resolution):
        """The box at model resolution R: x, y floored, side divided exactly."""
        f = CANVAS // resolution
        x, y, side = self.box
        assert side % f == 0, f"side {side} not divisible by {f}"
        return x // f, y // f, side // f


# DeepFaceDrawing's boxes: the layout of format-version-1 models (the shipped model until v2). A version 2
# model's boxes are derived from the data's label statistics (`appearance.derive_boxes`), carried in its
# ModelConfig and manifest, and installed with `use_boxes` when a job loads the model.
V1_BOXES = {"left_eye": (108, 156, 128), "right_eye": (255, 156, 128), "nose": (182, 232, 160),
            "mouth": (169, 301, 192), "remainder": (0, 0, 512)}
NAMES = ("left_eye", "right_eye", "nose", "mouth", "remainder")
FUSION_ORDER = ("mouth", "nose", "left_eye", "right_eye")
COMPONENTS, PARTS, BY_NAME = (), (), {}


def use_boxes(boxes):
    """Install the component layout of the model a job works on ({name: (x, y, side)} on the 512 canvas)."""
    global COMPONENTS, PARTS, BY_NAME
    if set(boxes) != set(NAMES):
        raise ValueError(f"boxes must name {NAMES}, got {sorted(boxes)}")
    COMPONENTS = tuple(Component(n, tuple(int(v) for v in boxes[n])) for n in NAMES)
    PARTS = COMPONENTS[:4]
    BY_NAME = {c.name: c for c in COMPONENTS}


def boxes():
    return {c.name: list(c.box) for c in COMPONENTS}


use_boxes(V1_BOXES)


def check_resolution(resolution):
    if resolution <= 0 or CANVAS % resolution or (CANVAS // resolution) & (CANVAS // resolution - 1):
        raise ValueError(f"resolution {resolution} must be 512 divided by a power of two")


def downsample(canvas, resolution):
    """Box-average a u8 [512, 512] (or [..., 512, 512]) canvas to R with integer rounding."""
    canvas = np.asarray(canvas)
    f = canvas.shape[-1] // resolution
    if f == 1:
        return canvas.astype(np.uint8).copy()
    lead = canvas.shape[:-2]
    blocks = canvas.astype(np.int64).reshape(*lead, resolution, f, resolution, f)
    total = blocks.sum(axis=(-3, -1))
    return ((total + (f * f) // 2) // (f * f)).astype(np.uint8)


def crop(small, name):
    """The crop of component `name` from a downsampled u8 canvas [R, R] (or [..., R, R])."""
    resolution = small.shape[-1]
    if name == "remainder":
        out = np.array(small, dtype=np.uint8, copy=True)
        for part in PARTS:
            x, y, s = part.box_at(resolution)
            out[..., y:y + s, x:x + s] = 255
        return out
    x, y, s = BY_NAME[name].box_at(resolution)
    return np.ascontiguousarray(small[..., y:y + s, x:x + s])


def crops(small):
    """All five crops of a downsampled canvas, as a dict name → u8 array."""
    return {name: crop(small, name) for name in NAMES}


def to_input(u8):
    """u8 crop(s) → float network input in [-1, 1] (white = +1), with a channel axis added."""
    x = torch.as_tensor(np.asarray(u8)).float() / 127.5 - 1.0
    return x.unsqueeze(-3)


def to_u8_image(x):
    """Network image output [3, R, R] in [-1, 1] → u8: clamp(floor((x + 1) * 127.5 + 0.5), 0, 255)."""
    x = torch.as_tensor(x).float()
    return torch.clamp(torch.floor((x + 1.0) * 127.5 + 0.5), 0, 255).to(torch.uint8).numpy()


GENERATOR_INPUTS = (("fused",), ("fused", "sketch"), ("fused", "projected_sketch"))


def fuse(features, resolution):
    """Overwrite the remainder feature map with each part's map at its box, in FUSION_ORDER.

    `features` maps name → tensor [..., C, side_r, side_r]; returns a new [..., C, R, R] tensor.
    """
    fused = features["remainder"].clone()
    for name in FUSION_ORDER:
        x, y, s = BY_NAME[name].box_at(resolution)
        fused[..., :, y:y + s, x:x + s] = features[name]
    return fused


def projected_sketch(crops, nbr_crops, weights, s=1.0):
    """The generator's `projected_sketch` channel [B, 1, R, R] (docs/MODEL_FORMAT.md, "Projected sketch").

    Per component n: refined = Σᵢ wᵢ · nbr_crops[n][:, i] (the LLE blend of its K nearest database crops),
    x = s · refined + (1 − s) · crops[n], clamped to [−1, 1]; then the parts are pasted over the remainder at
    their boxes in FUSION_ORDER (`fuse`). `crops`: name → [B, 1, h, w], `nbr_crops`: name → [B, K, h, w], both
    normalised crops in [−1, 1]; `weights`: name → [B, K] (the latent projection's LLE weights, summing to 1);
    `s`: a number, a [B] tensor, or a dict name → either. Computed in the dtype of `nbr_crops` (the reference
    runner passes float64 and rounds to float32 afterwards; training may stay in float32). At s = 0 this is the
    plain `sketch` channel: the parts cover the remainder's whitened boxes.
    """
    xs = {}
    for name in NAMES:
        d = nbr_crops[name]
        w = torch.as_tensor(weights[name]).to(device=d.device, dtype=d.dtype)
        refined = torch.einsum("bk,bkhw->bhw", w, d).unsqueeze(1)
        sn = torch.as_tensor(s[name] if isinstance(s, dict) else s, dtype=d.dtype, device=d.device)
        sn = sn.reshape(-1, 1, 1, 1) if sn.dim() == 1 else sn
        xs[name] = torch.clamp(sn * refined + (1 - sn) * crops[name].to(d.dtype), -1.0, 1.0)
    return fuse(xs, crops["remainder"].shape[-1])
