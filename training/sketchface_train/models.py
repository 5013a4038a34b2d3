"""The networks, as plain nn.Sequential stacks of the layer types docs/MODEL_FORMAT.md lists.

Only exportable building blocks are used (Conv2d, ConvTranspose2d, Upsample, InstanceNorm2d, activations,
Linear, Flatten, Reshape, Residual, and in format version 2 FiLM and Concat), so `manifest.layers_of` can turn
any inference network into its layer list without knowing the architecture. Sizes come from `ModelConfig`;
`ModelConfig.tiny()` is the test model.

Version 2 (`ModelConfig.version`): decoders and mappers end in nearest upsampling + a 3×3 conv (a stride-2
transposed conv left a checkerboard in every face), boxes come from the data (`boxes`), and the generator is a
U-Net over cat(fused features, sketch) whose normalised activations are modulated (FiLM) by the appearance
code. Conditioned networks are called as `run(net, x, a)`.
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn

from . import geometry


@dataclass
class ModelConfig:
    resolution: int = 256
    latent: int = 512
    feature_channels: int = 32
    # Sized for CPU training and per-stroke inference in Swift (see training/README.md for FLOPs and timings).
    enc_widths: tuple = (8, 16, 32, 64, 128, 128, 128)  # stem, then one per stride-2 conv (capped by depth)
    flat_channels: int = 32          # channels at the flatten/linear boundary of encoders and decoders
    dec_widths: tuple = (96, 64, 48, 32, 16, 16)  # after the linear, then per upsampling step
    gen_down: tuple = (24, 48)       # stride-2 convs from the fused map
    gen_res: int = 3                 # residual blocks at the lowest resolution (R/4)
    gen_up: tuple = (24, 12)         # upsample + conv back to R
    disc_width: int = 16
    disc_scales: int = 2
    disc_layers: int = 3
    version: int = 1
    boxes: dict = None               # {name: [x, y, side]} on the 512 canvas; None = geometry.V1_BOXES
    appearance: int = 0              # appearance code size (version 2: 15)
    unet_widths: tuple = (32, 64, 128, 192)   # version 2 generator: width per level, R, R/2, R/4, R/8
    unet_res: int = 2                # residual blocks at the lowest level
    # The generator's input blocks (manifest `generator_input`); None = the version's default: ("fused",) in
    # version 1, ("fused", "sketch") in version 2. Version 2 may say ("fused", "projected_sketch"); `export` sets it
    # from train-gan's `sketch_channel` when it is None.
    generator_input: tuple = None
    # version 2 generator's upsampling: "nearest" (the shipped v2 models) or "bilinear" (half-pixel centres,
    # PyTorch's align_corners=False): nearest + 3×3 conv leaves a texture locked to the 2^k grid.
    gen_upsample: str = "nearest"

    @staticmethod
    def tiny():
        return ModelConfig(resolution=64, latent=64, feature_channels=3, enc_widths=(4, 8, 8, 8, 8),
                           flat_channels=2, dec_widths=(8, 8, 6, 4), gen_down=(8, 12), gen_res=1,
                           gen_up=(8, 6), disc_width=8, disc_scales=2, disc_layers=2)

    @staticmethod
    def v2(boxes, resolution=128):
        return ModelConfig(resolution=resolution, latent=256, feature_channels=32, enc_widths=(16, 32, 64, 128, 128, 128),
                           flat_channels=32, dec_widths=(96, 64, 48, 32, 16), disc_width=32, disc_scales=2,
                           disc_layers=3, version=2, boxes={k: list(v) for k, v in boxes.items()}, appearance=15)

    @staticmethod
    def tiny_v2(boxes):
        return ModelConfig(resolution=64, latent=64, feature_channels=3, enc_widths=(4, 8, 8, 8, 8),
                           flat_channels=2, dec_widths=(8, 8, 6, 4), disc_width=8, disc_scales=2, disc_layers=2,
                           version=2, boxes={k: list(v) for k, v in boxes.items()}, appearance=15,
                           unet_widths=(4, 6, 8), unet_res=1)

    def generator_blocks(self):
        """The generator's input blocks, checked against the version (see `generator_input`)."""
        if self.generator_input is None:
            return ("fused", "sketch") if self.version >= 2 else ("fused",)
        blocks = tuple(self.generator_input)
        allowed = geometry.GENERATOR_INPUTS[1:] if self.version >= 2 else geometry.GENERATOR_INPUTS[:1]
        if blocks not in allowed:
            raise ValueError(f"generator_input {list(blocks)} is not one of {[list(a) for a in allowed]} "
                             f"(version {self.version})")
        return blocks

    def install_boxes(self):
        """Make geometry's layout this model's (every job calls it once it knows its model)."""
        geometry.use_boxes(self.boxes or geometry.V1_BOXES)
        return self

    def to_dict(self):
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @staticmethod
    def from_dict(d):
        return ModelConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


class Reshape(nn.Module):
    """[B, N] → [B, *shape]; exported as the `reshape` layer."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self):
        return f"shape={self.shape}"


class Residual(nn.Module):
    """y = x + body(x); exported as a `residual` layer with a nested layer list."""

    def __init__(self, *layers):
        super().__init__()
        self.body = nn.Sequential(*layers)

    def forward(self, x, a=None):
        return x + run(self.body, x, a)


class Concat(nn.Module):
    """y = cat(x, body(x)) on channels (a U-Net skip); exported as a `concat` layer with a nested layer list."""

    def __init__(self, *layers):
        super().__init__()
        self.body = nn.Sequential(*layers)

    def forward(self, x, a=None):
        return torch.cat([x, run(self.body, x, a)], 1)


class FiLM(nn.Module):
    """y = x · (1 + γ) + β per channel, (γ, β) = W a + b from the condition vector a; exported as `film`.

    Starts as the identity (zero weights), so a generator learns to use the code rather than fight it.
    """

    def __init__(self, channels, condition):
        super().__init__()
        self.channels = channels
        self.proj = nn.Linear(condition, 2 * channels)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x, a=None):
        g = self.proj(a.to(x.dtype))[:, :, None, None]
        return x * (1 + g[:, :self.channels]) + g[:, self.channels:]


CONDITIONED = (Residual, Concat, FiLM)


def run(seq, x, a=None):
    """Run an nn.Sequential, handing the condition vector `a` to the layers that take one."""
    for m in seq:
        x = m(x, a) if isinstance(m, CONDITIONED) else m(x)
    return x


def side_of(name, cfg):
    return geometry.BY_NAME[name].box_at(cfg.resolution)[2]


def n_steps(name, cfg):
    """Stride-2 steps between a component's crop and its encoder's flatten boundary.

    Parts end at side_r / 2^steps ∈ {4, 5, 6}; the remainder at 4.
    """
    parts = int(math.log2(cfg.resolution)) - 4
    return parts if name != "remainder" else parts + 2


def encoder(name, cfg):
    """Sketch crop [1, s, s] → latent [latent]."""
    w = cfg.enc_widths
    steps = n_steps(name, cfg)
    assert len(w) > steps, f"enc_widths needs {steps + 1} entries"
    layers = [nn.Conv2d(1, w[0], 3, 1, 1, padding_mode="reflect"), nn.LeakyReLU(0.2)]
    for i in range(steps):
        layers += [nn.Conv2d(w[i], w[i + 1], 3, 2, 1), nn.LeakyReLU(0.2)]
    b = side_of(name, cfg) >> steps
    layers += [nn.Conv2d(w[steps], cfg.flat_channels, 1), nn.LeakyReLU(0.2),
               nn.Flatten(), nn.Linear(cfg.flat_channels * b * b, cfg.latent)]
    return nn.Sequential(*layers)


def decoder(name, cfg, out_channels, final_activation):
    """Latent → [out_channels, s, s]: linear to a small map, upsample+conv steps, a transposed conv last.

    Used with out_channels=1 and tanh as the stage-1 sketch decoder and with feature_channels and no activation
    as the stage-2 feature mapper (initialised from the decoder's body).
    """
    steps = n_steps(name, cfg)
    b = side_of(name, cfg) >> steps
    w = list(cfg.dec_widths)
    w = [w[min(i, len(w) - 1)] for i in range(steps)]
    layers = [nn.Linear(cfg.latent, cfg.flat_channels * b * b), nn.ReLU(), Reshape(cfg.flat_channels, b, b),
              nn.Conv2d(cfg.flat_channels, w[0], 3, 1, 1, padding_mode="reflect"),
              nn.InstanceNorm2d(w[0], affine=True), nn.ReLU()]
    for i in range(steps - 1):
        layers += [nn.Upsample(scale_factor=2, mode="nearest"),
                   nn.Conv2d(w[i], w[i + 1], 3, 1, 1, padding_mode="reflect"),
                   nn.InstanceNorm2d(w[i + 1], affine=True), nn.ReLU()]
    if cfg.version >= 2:
        layers += [nn.Upsample(scale_factor=2, mode="nearest"),
                   nn.Conv2d(w[steps - 1], out_channels, 3, 1, 1, padding_mode="reflect")]
    else:
        layers += [nn.ConvTranspose2d(w[steps - 1], out_channels, 4, 2, 1)]
    if final_activation:
        layers += [nn.Tanh()]
    return nn.Sequential(*layers)


def mapper_from_decoder(dec, cfg):
    """A feature mapper sharing the decoder's body with a fresh last layer emitting feature_channels."""
    body = [m for m in dec if not isinstance(m, nn.Tanh)][:-1]
    if cfg.version >= 2:
        last = [m for m in dec if isinstance(m, nn.Conv2d)][-1]
        fresh = nn.Conv2d(last.in_channels, cfg.feature_channels, 3, 1, 1, padding_mode="reflect")
    else:
        last = [m for m in dec if isinstance(m, nn.ConvTranspose2d)][-1]
        fresh = nn.ConvTranspose2d(last.in_channels, cfg.feature_channels, 4, 2, 1)
    import copy
    return nn.Sequential(*copy.deepcopy(body), fresh)


def upsample(mode):
    """×2 upsampling in `mode` ("nearest" or "bilinear", half-pixel centres); exported as `upsample`."""
    if mode == "nearest":
        return nn.Upsample(scale_factor=2, mode="nearest")
    if mode == "bilinear":
        return nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
    raise ValueError(f"upsampling mode must be nearest or bilinear, got {mode!r}")


def unet_generator(cfg):
    """cat(fused features, sketch) [C + 1, R, R] and appearance code [A] → RGB [3, R, R] in [-1, 1].

    A U-Net: each level is Concat(stride-2 conv down, the next level, upsample + conv up), merged by a 3×3
    conv; every normalised activation is FiLM-modulated by the appearance code (instance norm alone would
    remove a code given as constant input channels). No transposed convs.
    """
    w, a = cfg.unet_widths, cfg.appearance

    def block(cin, cout, stride=1, pad="reflect"):
        return [nn.Conv2d(cin, cout, 3, stride, 1, padding_mode=pad), nn.InstanceNorm2d(cout), FiLM(cout, a),
                nn.ReLU()]

    def level(i):
        """Input at width w[i-1] and resolution R/2^(i-1); output the same width and resolution."""
        inner = block(w[i - 1], w[i], 2, "zeros")
        if i + 1 < len(w):
            inner += [Concat(*level(i + 1))] + block(2 * w[i], w[i])
        else:
            for _ in range(cfg.unet_res):
                inner += [Residual(nn.Conv2d(w[i], w[i], 3, 1, 1, padding_mode="reflect"), nn.InstanceNorm2d(w[i]),
                                   FiLM(w[i], a), nn.ReLU(),
                                   nn.Conv2d(w[i], w[i], 3, 1, 1, padding_mode="reflect"), nn.InstanceNorm2d(w[i]))]
        return inner + [upsample(cfg.gen_upsample)] + block(w[i], w[i - 1])

    layers = block(cfg.feature_channels + 1, w[0]) + [Concat(*level(1)),
                                                      nn.Conv2d(2 * w[0], 3, 3, 1, 1, padding_mode="reflect"),
                                                      nn.Tanh()]
    return nn.Sequential(*layers)


def generator(cfg):
    """The generator of `cfg.version` (version 2: `unet_generator`)."""
    if cfg.version >= 2:
        return unet_generator(cfg)
    return v1_generator(cfg)


def v1_generator(cfg):
    """Fused feature map [feature_channels, R, R] → RGB [3, R, R] in [-1, 1] (pix2pixHD-style, slimmed)."""
    layers, c = [], cfg.feature_channels
    for i, w in enumerate(cfg.gen_down):
        layers += [nn.Conv2d(c, w, 3, 2, 1, padding_mode="reflect" if i == 0 else "zeros"),
                   nn.InstanceNorm2d(w), nn.ReLU()]
        c = w
    for _ in range(cfg.gen_res):
        layers += [Residual(nn.Conv2d(c, c, 3, 1, 1, padding_mode="reflect"), nn.InstanceNorm2d(c), nn.ReLU(),
                            nn.Conv2d(c, c, 3, 1, 1, padding_mode="reflect"), nn.InstanceNorm2d(c))]
    for w in cfg.gen_up:
        layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, w, 3, 1, 1, padding_mode="reflect"),
                   nn.InstanceNorm2d(w), nn.ReLU()]
        c = w
    layers += [nn.Conv2d(c, 3, 3, 1, 1, padding_mode="reflect"), nn.Tanh()]
    return nn.Sequential(*layers)


class PatchDiscriminator(nn.Module):
    """One PatchGAN on concat(sketch, image); returns every intermediate map (for feature matching)."""

    def __init__(self, in_channels, width, n_layers):
        super().__init__()
        blocks, c = [], in_channels
        for i in range(n_layers):
            w = width * min(2 ** i, 8)
            blocks.append(nn.Sequential(nn.Conv2d(c, w, 4, 2, 1),
                                        nn.InstanceNorm2d(w) if i else nn.Identity(), nn.LeakyReLU(0.2)))
            c = w
        w = width * min(2 ** n_layers, 8)
        blocks.append(nn.Sequential(nn.Conv2d(c, w, 4, 1, 1), nn.InstanceNorm2d(w), nn.LeakyReLU(0.2)))
        blocks.append(nn.Conv2d(w, 1, 4, 1, 1))
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x):
        feats = []
        for b in self.blocks:
            x = b(x)
            feats.append(x)
        return feats


class MultiScaleDiscriminator(nn.Module):
    def __init__(self, cfg, in_channels=4):
        super().__init__()
        self.scales = nn.ModuleList(PatchDiscriminator(in_channels, cfg.disc_width, cfg.disc_layers)
                                    for _ in range(cfg.disc_scales))

    def forward(self, x):
        outs = []
        for i, d in enumerate(self.scales):
            if i:
                x = nn.functional.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
            outs.append(d(x))
        return outs


def inference_networks(cfg):
    """Every network the runtime runs, keyed by manifest name, freshly initialised."""
    nets = {}
    for name in geometry.NAMES:
        nets[f"encoder.{name}"] = encoder(name, cfg)
        nets[f"mapper.{name}"] = mapper_from_decoder(decoder(name, cfg, 1, True), cfg)
    nets["generator"] = generator(cfg)
    return nets


def input_shape(net_name, cfg):
    kind, _, comp = net_name.partition(".")
    if kind == "encoder":
        s = side_of(comp, cfg)
        return [1, s, s]
    if kind == "mapper":
        return [cfg.latent]
    return [cfg.feature_channels + len(cfg.generator_blocks()) - 1, cfg.resolution, cfg.resolution]


def count_params(net):
    return sum(p.numel() for p in net.parameters())


def count_flops(net, shape, condition=1):
    """Multiply-adds ×2 of convs, transposed convs and linears for one input of `shape` (no batch)."""
    total = 0

    def hook(m, inp, out):
        nonlocal total
        if isinstance(m, nn.Conv2d):
            total += 2 * out.numel() * m.in_channels * m.kernel_size[0] * m.kernel_size[1] // m.groups
        elif isinstance(m, nn.ConvTranspose2d):
            total += 2 * inp[0].numel() * m.out_channels * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            total += 2 * m.in_features * m.out_features

    handles = [m.register_forward_hook(hook) for m in net.modules()]
    with torch.no_grad():
        x = torch.zeros(1, *shape)
        run(net, x, torch.zeros(1, condition)) if isinstance(net, nn.Sequential) else net(x)
    for h in handles:
        h.remove()
    return total
