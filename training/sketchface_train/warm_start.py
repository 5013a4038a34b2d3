"""`warm-start`: a run folder's checkpoints from an exported model folder (issue 9: a run may span sessions,
and `runs/` is never committed, so a new machine starts from the shipped `models/default`, not from scratch).

The torch modules are rebuilt from the manifest's `training.model_config` (written by `export`); each rebuilt
network must export to exactly the manifest's layer list, and its parameters are the exported tensors under the
same names (`export` names a tensor `<network>.<state_dict key>`), so loading is the inverse of `layers_of`.

What `export` leaves out, and what the checkpoints therefore hold instead:
- **Decoders** (stage 1's sketch decoders) are not exported. The encoders are final — the mappers and the
  database were trained on exactly these latents — so stage 1 is marked done (`ce.done`) and not retrained.
  `ce.pt` still needs decoders (train-gan builds its mappers from them, `--reset-mappers` restarts a mapper from
  its decoder): each is the trained mapper's body with a fresh 1-channel last conv + tanh, so a reset mapper
  keeps its trained body and restarts its last layer only.
- **The discriminator and every optimizer state** start fresh: `gan.pt` stores `disc`, `opt_g`, `opt_d` as None,
  and `train-gan --resume` then trains the fresh discriminator alone for `--disc-warmup-steps` steps before the
  generator and mappers train again (a random discriminator's gradients would first pull a trained generator
  off course).
- **Step counters** continue the exported model's (`ce_steps`, `gan_steps`, images seen, minutes), so the
  per-step random streams are new batches and an L1 warm-up the original run already passed is not repeated;
  both checkpoints record where they came from under `warm_start`, and `export` copies that to the manifest.
"""
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

from . import geometry, manifest as mf, models
from .journal import DEFAULT_RUN, Journal, save_checkpoint


class WarmStartError(ValueError):
    pass


@dataclass
class Config:
    """Write ce.pt and gan.pt of a run from an exported model folder (then build-db and train-gan --resume)."""
    run: str = DEFAULT_RUN
    model: str = "models/default"
    seed: int = 3                 # initialises the decoders' last layers and the fresh discriminator
    force: bool = False           # overwrite a run's existing ce.pt / gan.pt


def model_config_of(manifest):
    """The ModelConfig a manifest's networks were built from, checked against the manifest's own fields."""
    d = manifest.get("training", {}).get("model_config")
    if not isinstance(d, dict):
        raise WarmStartError("manifest has no training.model_config (written by `export`; a model made otherwise, "
                             "such as the tiny test fixture, cannot be warm-started from)")
    try:
        cfg = models.ModelConfig.from_dict(d)
    except TypeError as e:
        raise WarmStartError(f"training.model_config: {e}") from None
    boxes = {c["name"]: list(c["box"]) for c in manifest["components"]}
    app = manifest.get("appearance", {}).get("size", 0)
    for field, mine, theirs in (("version", cfg.version, manifest["version"]),
                                ("resolution", cfg.resolution, manifest["resolution"]),
                                ("latent", cfg.latent, manifest["latent"]),
                                ("feature_channels", cfg.feature_channels, manifest["feature_channels"]),
                                ("boxes", {k: list(v) for k, v in (cfg.boxes or geometry.V1_BOXES).items()}, boxes),
                                ("appearance", cfg.appearance, app)):
        if mine != theirs:
            raise WarmStartError(f"training.model_config.{field} is {mine}, the manifest says {theirs}")
    return cfg


def load_networks(manifest, tensors):
    """(ModelConfig, {manifest name: torch module}) with the exported weights loaded (f32 copies)."""
    cfg = model_config_of(manifest).install_boxes()
    nets = models.inference_networks(cfg)
    if set(nets) != set(manifest["networks"]):
        raise WarmStartError(f"networks {sorted(manifest['networks'])}, the model config builds {sorted(nets)}")
    used = set()
    for name, net in nets.items():
        spec = manifest["networks"][name]
        layers, names = mf.layers_of(net, name)
        if spec["input"] != models.input_shape(name, cfg):
            raise WarmStartError(f"{name}: input {spec['input']}, the model config builds "
                                 f"{models.input_shape(name, cfg)}")
        if layers != spec["layers"]:
            i = next((i for i, (a, b) in enumerate(zip(layers, spec["layers"])) if a != b),
                     min(len(layers), len(spec["layers"])))
            raise WarmStartError(f"{name}: layer {i} differs from what training.model_config builds "
                                 f"(manifest {spec['layers'][i] if i < len(spec['layers']) else 'none'}, "
                                 f"rebuilt {layers[i] if i < len(layers) else 'none'})")
        state = {}
        for key, p in net.state_dict().items():
            t = tensors.get(f"{name}.{key}")
            if t is None:
                raise WarmStartError(f"{name}: tensor {name}.{key} missing from the weights")
            if t.shape != p.shape:
                raise WarmStartError(f"{name}: tensor {name}.{key} has shape {list(t.shape)}, want {list(p.shape)}")
            state[key] = t.float()
            used.add(f"{name}.{key}")
        assert used >= set(names), f"{name}: layers_of names a tensor that is no parameter"
        net.load_state_dict(state)
    unused = sorted(set(tensors) - used)
    if unused:
        raise WarmStartError(f"weights: {len(unused)} tensors no network uses, e.g. {unused[:3]}")
    return cfg, nets


def decoder_from_mapper(name, mapper, cfg):
    """Stage 1's decoder for a component: the mapper's body (all but its last layer), a fresh last conv, tanh."""
    dec = models.decoder(name, cfg, 1, True)
    body = len(mapper) - 1
    for i in range(body):
        dec[i].load_state_dict(mapper[i].state_dict())
    return dec


def checkpoints(manifest, cfg, nets, source, seed):
    """(ce.pt state, gan.pt state) of a warm start from the loaded networks of an exported model."""
    tr = manifest.get("training", {})
    torch.manual_seed(seed)
    enc = torch.nn.ModuleDict({n: nets[f"encoder.{n}"] for n in geometry.NAMES})
    mappers = torch.nn.ModuleDict({n: nets[f"mapper.{n}"] for n in geometry.NAMES})
    dec = torch.nn.ModuleDict({n: decoder_from_mapper(n, mappers[n], cfg) for n in geometry.NAMES})
    ce_steps, gan_steps = int(tr.get("ce_steps", 0)), int(tr.get("gan_steps", 0))
    info = {"from": str(source), "git_commit": tr.get("git_commit", "unknown"), "ce_steps": ce_steps,
            "gan_steps": gan_steps, "gan_images_seen": int(tr.get("gan_images_seen", 0)),
            "weights_sha256": hashlib.sha256((Path(source) / "weights.safetensors").read_bytes()).hexdigest()[:16]}
    rng = torch.get_rng_state()
    ce = {"step": ce_steps, "train_seconds": 0.0, "enc": enc.state_dict(), "dec": dec.state_dict(), "opt": None,
          "torch_rng": rng, "model": cfg.to_dict(), "config": tr.get("ce_config", {}),
          "images_seen": int(tr.get("ce_images_seen", 0)), "retrained": tr.get("ce_retrained", {}),
          "warm_start": info}
    gan = {"step": gan_steps, "mappers": mappers.state_dict(), "gen": nets["generator"].state_dict(), "disc": None,
           "opt_g": None, "opt_d": None, "torch_rng": rng, "model": cfg.to_dict(), "config": tr.get("gan_config", {}),
           "train_seconds": 60.0 * float(tr.get("gan_train_minutes", 0.0)),
           "images_seen": int(tr.get("gan_images_seen", 0)), "ce_images_seen": ce["images_seen"], "warm_start": info}
    return ce, gan


def check_run_data(run, cfg, journal):
    """When the run is already prepared: its resolution must be the model's; other box statistics are logged."""
    from . import data
    d = data.data_dir(run)
    if (d / "sketches.npy").exists():
        r = np.load(d / "sketches.npy", mmap_mode="r").shape[-1]
        if r != cfg.resolution:
            raise WarmStartError(f"{d} is prepared at {r}², the model at {cfg.resolution}² "
                                 f"(prepare the run with --resolution {cfg.resolution})")
    stats = d / "label_stats.json"
    if cfg.version >= 2 and stats.exists():
        boxes = json.loads(stats.read_text())["boxes"]
        differ = [n for n in boxes if n in cfg.boxes and list(boxes[n]) != list(cfg.boxes[n])]
        if differ:
            journal.log(f"warm-start: note: this run's data places {', '.join(differ)} elsewhere than the model; "
                        f"the model's boxes are kept")


def main(cfg):
    run, source = Path(cfg.run), Path(cfg.model)
    journal = Journal(run, "warm-start")
    existing = [p.name for p in (run / "ce.pt", run / "gan.pt") if p.exists()]
    if existing and not cfg.force:
        raise SystemExit(f"warm-start: {run} already has {', '.join(existing)}; resume it, or pass --force")
    try:
        manifest = json.loads((source / "manifest.json").read_text())
        tensors = load_file(source / "weights.safetensors")
        mf.validate(manifest, tensors)
        mcfg, nets = load_networks(manifest, tensors)
        check_run_data(run, mcfg, journal)
    except (OSError, json.JSONDecodeError, mf.ManifestError, WarmStartError) as e:
        raise SystemExit(f"warm-start: {source}: {e}") from None
    ce, gan = checkpoints(manifest, mcfg, nets, source, cfg.seed)
    save_checkpoint(run / "ce.pt", ce)
    save_checkpoint(run / "gan.pt", gan)
    (run / "ce.done").touch()
    for stale in ("db.pt", "ce.retrain.pt"):
        if (run / stale).exists():
            (run / stale).unlink()
    journal.log(f"warm-start: {run} from {source} (git {ce['warm_start']['git_commit']}, weights "
                f"{ce['warm_start']['weights_sha256']}): ce.pt at step {ce['step']} (stage 1 done), gan.pt at step "
                f"{gan['step']} with a fresh discriminator and fresh optimizers; next: build-db, train-gan --resume")
