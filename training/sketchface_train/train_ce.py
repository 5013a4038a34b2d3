"""`train-ce`: stage 1, Component Embedding — five sketch autoencoders trained on component crops.

Inputs are sometimes roughened (`degrade_prob`, severity 1–2) while the target stays clean, so the encoders
place rough and clean versions of a part near each other. Checkpoint: `ce.pt` in the run dir.
"""
import json
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from . import data, geometry, models, sketches
from .journal import DEFAULT_RUN, Journal, autocast, load_checkpoint, pick_device, save_checkpoint, setup_threads
from .samples import save_grid


@dataclass
class Config:
    """Train the five component autoencoders."""
    run: str = DEFAULT_RUN
    steps: int = 1500
    max_minutes: float = 0.0      # also stop (with a checkpoint) after this much training time; 0 = no limit
    batch: int = 8
    lr: float = 4e-4
    ink_weight: float = 4.0       # ink pixels are rare: weight their reconstruction error up
    # L1 also between average-pooled reconstruction and target: on thin sparse lines a pixel-only L1 is
    # minimised by blank paper, and the remainder autoencoder collapsed that way (every latent alike);
    # pooled maps give the decoder a reason to use the latent from the first step
    pool_scales: tuple = (1, 4, 16)
    degrade_prob: float = 0.3
    seed: int = 1
    resume: bool = False
    device: str = "auto"
    bf16: bool = True             # measured on this CPU: 2.9 vs 1.7 img/s for stage 1
    threads: int = 1
    ckpt_minutes: float = 3.0
    sample_every: int = 100
    log_every: int = 25
    tiny: bool = False            # use the tiny architecture (tests)
    version: int = 2              # model format version (2: data-derived boxes, no transposed convs, U-Net + FiLM)
    retrain: str = ""             # comma list: re-initialise and train only these components of an existing ce.pt


def reconstruction_loss(rec, target, ink_weight, pool_scales):
    total = 0.0
    for k in pool_scales:
        r, t = (F.avg_pool2d(rec, k), F.avg_pool2d(target, k)) if k > 1 else (rec, target)
        w = 1.0 + (ink_weight - 1.0) * (t < 0.9).float()
        total = total + (w * (r - t).abs()).mean()
    return total / len(pool_scales)


def init_encoder(enc):
    """He init for the leaky-ReLU encoders. PyTorch's default shrinks the signal ~3× per layer, and through the
    remainder encoder's 8 layers every sketch then maps to nearly the same latent (observed: spread 0.002)."""
    for m in enc.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            torch.nn.init.kaiming_normal_(m.weight, a=0.2, nonlinearity="leaky_relu")
            torch.nn.init.zeros_(m.bias)


def build(mcfg, init=False):
    enc = torch.nn.ModuleDict({n: models.encoder(n, mcfg) for n in geometry.NAMES})
    dec = torch.nn.ModuleDict({n: models.decoder(n, mcfg, 1, True) for n in geometry.NAMES})
    if init:
        for e in enc.values():
            init_encoder(e)
    return enc, dec


def batch_inputs(sk, idx, rng, degrade_prob, device):
    clean = sk[idx]
    noisy = np.stack([sketches.degrade(c, int(rng.integers(1, 3)), rng) if rng.random() < degrade_prob else c
                      for c in clean])
    xs = {n: geometry.to_input(geometry.crop(noisy, n)).to(device) for n in geometry.NAMES}
    ys = {n: geometry.to_input(geometry.crop(clean, n)).to(device) for n in geometry.NAMES}
    return noisy, xs, ys


def assemble(parts, resolution):
    """Paste part reconstructions [B,1,s,s] onto the remainder reconstruction (for sample grids)."""
    canvas = parts["remainder"].clone()
    for name in geometry.FUSION_ORDER:
        x, y, s = geometry.BY_NAME[name].box_at(resolution)
        canvas[:, :, y:y + s, x:x + s] = torch.minimum(canvas[:, :, y:y + s, x:x + s], parts[name])
    return canvas


def model_config(cfg, resolution):
    """The architecture of a new run: version 2 takes its boxes from the run's `appearance` statistics."""
    if cfg.version >= 2:
        stats_path = data.data_dir(cfg.run) / "label_stats.json"
        if not stats_path.exists():
            raise SystemExit(f"train-ce: {stats_path} missing; run `appearance` first (version 2 boxes come from it)")
        boxes = json.loads(stats_path.read_text())["boxes"]
        boxes["remainder"] = [0, 0, geometry.CANVAS]
        mcfg = models.ModelConfig.tiny_v2(boxes) if cfg.tiny else models.ModelConfig.v2(boxes, resolution)
    else:
        mcfg = models.ModelConfig.tiny() if cfg.tiny else models.ModelConfig()
    mcfg.resolution = resolution
    return mcfg.install_boxes()


def main(cfg):
    setup_threads(cfg.threads)
    device = pick_device(cfg.device)
    journal = Journal(cfg.run, "train-ce-retrain" if cfg.retrain else "train-ce")
    ids, sk, _ = data.load(cfg.run)
    test = set(np.load(data.data_dir(cfg.run) / "test_ids.npy").tolist())
    train_rows = np.array([i for i, v in enumerate(ids) if v not in test])
    resolution = sk.shape[-1]
    mcfg = model_config(cfg, resolution)
    torch.manual_seed(cfg.seed)
    enc, dec = build(mcfg, init=True)
    ckpt_path = journal.dir / "ce.pt"
    names = geometry.NAMES
    retrained = {}
    warm = None                   # where a warm-started ce.pt came from (warm_start.py); kept in later checkpoints
    if cfg.retrain:
        # a repair phase: keep the other components of ce.pt, start these afresh, train only them
        names = tuple(n for n in geometry.NAMES if n in cfg.retrain.split(","))
        state = load_checkpoint(ckpt_path)
        mcfg = models.ModelConfig.from_dict(state["model"]).install_boxes()
        enc, dec = build(mcfg, init=True)
        fresh_enc = {n: enc[n].state_dict() for n in names}
        fresh_dec = {n: dec[n].state_dict() for n in names}
        enc.load_state_dict(state["enc"]), dec.load_state_dict(state["dec"])
        for n in names:
            enc[n].load_state_dict(fresh_enc[n]), dec[n].load_state_dict(fresh_dec[n])
        retrained = dict(state.get("retrained", {}))
        warm = state.get("warm_start")
        base_step, base_images, base_seconds = state["step"], state["images_seen"], state.get("train_seconds", 0.0)
        ckpt_path = journal.dir / "ce.retrain.pt"
    enc.to(device), dec.to(device)
    params_to_train = [p for n in names for p in list(enc[n].parameters()) + list(dec[n].parameters())]
    opt = torch.optim.Adam(params_to_train, lr=cfg.lr, betas=(0.5, 0.999))
    start, train_seconds = 0, 0.0
    if cfg.resume and ckpt_path.exists():
        state = load_checkpoint(ckpt_path)
        enc.load_state_dict(state["enc"]), dec.load_state_dict(state["dec"])
        if state["opt"] is not None:   # None after a warm start (docs: warm_start.py): a fresh optimizer
            opt.load_state_dict(state["opt"])
        start, train_seconds = state["step"], state["train_seconds"]
        warm = state.get("warm_start", warm)
        torch.set_rng_state(state["torch_rng"])
        journal.truncate_after(start)
        journal.log(f"train-ce: resumed at step {start}")
    elif ckpt_path.exists() and not cfg.resume:
        journal.log(f"train-ce: {ckpt_path} exists and --resume not given; starting over")
    params = sum(models.count_params(m) for m in (enc, dec))
    journal.log(f"train-ce: {len(train_rows)} train sketches at {resolution}², {params / 1e6:.2f} M params, "
                f"device {device}, bf16 {cfg.bf16}, threads {torch.get_num_threads()}, steps {cfg.steps}×{cfg.batch}")

    def checkpoint(step, seconds):
        save_checkpoint(ckpt_path, {"step": step, "train_seconds": seconds, "enc": enc.state_dict(), "dec": dec.state_dict(),
                                    "opt": opt.state_dict(), "torch_rng": torch.get_rng_state(),
                                    "model": mcfg.to_dict(), "config": vars(cfg), "images_seen": step * cfg.batch,
                                    **({"warm_start": warm} if warm else {})})
        journal.plot()

    from tqdm import tqdm
    t_ckpt, t0, seen0 = time.time(), time.time(), start
    done = start
    bar = tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, desc="train-ce", unit="step")
    for step in bar:
        rng = np.random.default_rng([cfg.seed, step])
        idx = np.sort(rng.choice(train_rows, cfg.batch, replace=len(train_rows) < cfg.batch))
        noisy, xs, ys = batch_inputs(sk, idx, rng, cfg.degrade_prob, device)
        losses, recs = {}, {}
        with autocast(device, cfg.bf16):
            for n in names:
                rec = dec[n](enc[n](xs[n])).float()
                losses[n] = reconstruction_loss(rec, ys[n], cfg.ink_weight, cfg.pool_scales)
                recs[n] = rec.detach()
        for n in geometry.NAMES:
            if n not in recs:
                recs[n] = torch.ones_like(ys[n])
        loss = sum(losses.values())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        done = step + 1
        seconds = train_seconds + time.time() - t0
        out_of_time = cfg.max_minutes > 0 and seconds > cfg.max_minutes * 60
        if done % cfg.log_every == 0 or done == cfg.steps:
            rate = (done - seen0) * cfg.batch / max(time.time() - t0, 1e-6)
            journal.record(done, loss=loss.item(), **{k: v.item() for k, v in losses.items()})
            bar.set_postfix(loss=f"{loss.item():.3f}", img_s=f"{rate:.1f}")
            if done % (cfg.log_every * 4) == 0 or done == cfg.steps:
                journal.log(f"train-ce: step {done} loss {loss.item():.4f} " +
                            " ".join(f"{k} {v.item():.3f}" for k, v in losses.items()) + f" ({rate:.1f} img/s)")
        if done % cfg.sample_every == 0 or done == cfg.steps or out_of_time:
            rows = [torch.from_numpy(noisy[:4]).float().div(127.5).sub(1).unsqueeze(1),
                    ys["remainder"][:4].cpu().clone(), assemble(recs, resolution)[:4].cpu()]
            save_grid(journal.dir / "samples" / f"ce_{done:06d}.png", rows)
        if time.time() - t_ckpt > cfg.ckpt_minutes * 60 or done == cfg.steps or out_of_time:
            checkpoint(done, seconds)
            t_ckpt = time.time()
        if out_of_time:
            break
    bar.close()
    if cfg.retrain:
        final = load_checkpoint(ckpt_path)
        for n in names:
            retrained[n] = {"steps": final["step"], "images_seen": final["images_seen"]}
        final.update(step=base_step + final["step"], retrained=retrained, images_seen=base_images + final["images_seen"],
                     train_seconds=base_seconds + final["train_seconds"])
        save_checkpoint(journal.dir / "ce.pt", final)
        journal.log(f"train-ce: retrained {', '.join(names)}; ce.pt updated")
    journal.log(f"train-ce: stopped at step {done} ({done * cfg.batch} images seen, "
                f"{(train_seconds + time.time() - t0) / 60:.1f} min)")
