"""`train-gan`: stage 2 — feature mapping (five mappers) + image synthesis (generator), CE frozen.

Mappers start from the stage-1 decoders' bodies. Losses: LSGAN against a multi-scale PatchGAN on
(sketch, image) pairs, discriminator feature matching, and L1 to the photo. A share of the latents
(`project_prob`) is replaced by its manifold projection onto the database (own sketch excluded), since at
s = 1 the runtime feeds projected latents. Checkpoint: `gan.pt`.

Version 2 models: the generator also sees the (possibly roughened) sketch and the photo's appearance code
(`appearance` job, jittered by `appearance_jitter`), so L1 no longer has to average colours the sketch cannot
predict; the first `warmup_steps` train with L1 alone, without the discriminator.

A checkpoint written by `warm-start` (warm_start.py) carries no discriminator and no optimizer state: on
`--resume` both start fresh, and the discriminator trains alone for the next `disc_warmup_steps` steps (the
generator and mappers unchanged) before they train against it again.
"""
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from . import data, geometry, models
from .build_db import load_encoders
from .journal import DEFAULT_RUN, Journal, autocast, load_checkpoint, pick_device, save_checkpoint, setup_threads
from .samples import save_grid
from .train_ce import batch_inputs


@dataclass
class Config:
    """Train the feature mappers and the generator against a multi-scale PatchGAN."""
    run: str = DEFAULT_RUN
    steps: int = 100000
    max_minutes: float = 0.0      # also stop (with a checkpoint) after this much training time; 0 = no limit
    batch: int = 8
    lr: float = 2e-4
    # linear decay to 0 (pix2pixHD's schedule): the learning rate is `lr` until step lr_decay_start, then falls
    # linearly to 0 at lr_decay_start + lr_decay_steps and stays there; lr_decay_steps = 0: constant `lr`.
    # It is recomputed from the step each time, so a resumed run follows the same schedule.
    lr_decay_start: int = 0
    lr_decay_steps: int = 0
    l1_weight: float = 5.0        # version 1 used 20: with colour given by the appearance code, L1 can be lower
    fm_weight: float = 10.0
    warmup_steps: int = 0         # L1 only, discriminator idle, for the first steps (version 2 runs: ~1000)
    disc_warmup_steps: int = 200  # after a warm start: the fresh discriminator trains alone for this many steps
    appearance_jitter: float = 0.03
    degrade_prob: float = 0.3
    project_prob: float = 0.5
    # version 2: the generator's sketch channel. "projected": where a latent is projected, the channel shows the
    # LLE blend of its neighbours' database crops (what the runtime feeds at s = 1, `projected_sketch` in
    # docs/MODEL_FORMAT.md), so a rough stroke reaches the generator only through the manifold; "raw": the sketch.
    sketch_channel: str = "projected"
    k_project: int = 10
    lle_regularization: float = 1e-3
    seed: int = 2
    resume: bool = False
    device: str = "auto"
    bf16: bool = False            # measured on this CPU: no gain for stage 2 (5.9 vs 5.6 s/step), so fp32
    threads: int = 1
    ckpt_minutes: float = 4.0
    sample_every: int = 100
    # version 2: the generator's upsampling ("nearest" | "bilinear"); "" keeps the run's (checkpoint, else stage 1's).
    # Switching on a resumed run keeps every weight (no parameter depends on it).
    gen_upsample: str = ""
    reset_mappers: str = ""       # comma list: on resume, restart these mappers from their (retrained) decoders
    log_every: int = 20


def checkpoint_upsampling(state):
    """The generator upsampling a train-gan checkpoint was trained with (checkpoints before the option: nearest)."""
    return state.get("model", {}).get("gen_upsample", "nearest")


def lr_at(cfg, step):
    """The learning rate train-gan uses at `step` (0-based): see Config.lr_decay_start."""
    if cfg.lr_decay_steps <= 0 or step < cfg.lr_decay_start:
        return cfg.lr
    return cfg.lr * max(0.0, 1.0 - (step - cfg.lr_decay_start) / cfg.lr_decay_steps)


def build(mcfg, ce_state):
    from .train_ce import build as build_ce
    _, dec = build_ce(mcfg)
    dec.load_state_dict(ce_state["dec"])
    mappers = torch.nn.ModuleDict({n: models.mapper_from_decoder(dec[n], mcfg) for n in geometry.NAMES})
    return mappers, models.generator(mcfg), models.MultiScaleDiscriminator(mcfg)


def project_batch(z, db, exclude, k, reg):
    """Torch version of projection.project (s = 1) for a batch, never using row `exclude[b]` for item b:
    (projected latents [B, L], neighbour rows [B, K], LLE weights [B, K] float64).

    `db` should already be float64 (converting a 4,500-row database per call was ~12 % of a step)."""
    db = db if db.dtype == torch.float64 else db.double()
    d = torch.cdist(z.double(), db) ** 2
    d[torch.arange(len(z)), exclude] = float("inf")
    nbr = d.topk(k, largest=False).indices
    zn = db[nbr]                                           # [B, K, L]
    diff = zn - z.double()[:, None]
    g = diff @ diff.transpose(1, 2)
    tr = g.diagonal(dim1=1, dim2=2).sum(-1).clamp_min(1e-12)
    g = g + reg * tr[:, None, None] * torch.eye(k, dtype=g.dtype)
    w = torch.linalg.solve(g, torch.ones(len(z), k, 1, dtype=g.dtype))[..., 0]
    w = w / w.sum(-1, keepdim=True)
    return (w[:, :, None] * zn).sum(1).float(), nbr, w


def projected_crops(x, nbr, w, db_crops, mask):
    """Where `mask`: the LLE blend of the neighbours' u8 crops (input scale, clamped to [-1, 1]); else x."""
    blend = (w[:, :, None, None] * (db_crops[nbr].double() / 127.5 - 1.0)).sum(1).clamp(-1, 1)
    return torch.where(mask[:, None, None, None], blend[:, None].float(), x)


def lsgan(preds, target):
    return sum(F.mse_loss(p[-1].float(), torch.full_like(p[-1].float(), target)) for p in preds) / len(preds)


def feature_matching(fake, real):
    total, n = 0.0, 0
    for pf, pr in zip(fake, real):
        for a, b in zip(pf[:-1], pr[:-1]):
            total = total + F.l1_loss(a.float(), b.detach().float())
            n += 1
    return total / max(n, 1)


def photo_input(photos, device):
    return torch.from_numpy(np.ascontiguousarray(photos)).permute(0, 3, 1, 2).float().div(127.5).sub(1).to(device)


def main(cfg):
    setup_threads(cfg.threads)
    device = pick_device(cfg.device)
    journal = Journal(cfg.run, "train-gan")
    enc, mcfg, ce_state = load_encoders(cfg.run, device)
    for p in enc.parameters():
        p.requires_grad_(False)
    db = load_checkpoint(f"{cfg.run}/db.pt")
    row_to_db = {int(r): i for i, r in enumerate(db["rows"])}
    ids, sk, photos = data.load(cfg.run)
    test = set(np.load(data.data_dir(cfg.run) / "test_ids.npy").tolist())
    train_rows = np.array([i for i, v in enumerate(ids) if v not in test])
    test_rows = np.array([i for i, v in enumerate(ids) if v in test])[:4]
    resolution = mcfg.resolution
    ckpt_path = journal.dir / "gan.pt"
    state = load_checkpoint(ckpt_path) if cfg.resume and ckpt_path.exists() else None
    if state is not None:   # generator options the run has changed since stage 1 (checkpoint "model")
        mcfg.gen_upsample = checkpoint_upsampling(state)
    if cfg.gen_upsample and cfg.gen_upsample != mcfg.gen_upsample:
        journal.log(f"train-gan: generator upsampling {mcfg.gen_upsample} → {cfg.gen_upsample} (same weights)")
        mcfg.gen_upsample = cfg.gen_upsample
    torch.manual_seed(cfg.seed)
    mappers, gen, disc = build(mcfg, ce_state)
    mappers.to(device), gen.to(device), disc.to(device)
    opt_g = torch.optim.Adam(list(mappers.parameters()) + list(gen.parameters()), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    start, train_seconds = 0, 0.0
    disc_only_until, warm_start = 0, None   # steps below disc_only_until train the discriminator alone
    if state is not None:
        mappers.load_state_dict(state["mappers"]), gen.load_state_dict(state["gen"])
        start, train_seconds = state["step"], state["train_seconds"]
        warm_start, disc_only_until = state.get("warm_start"), state.get("disc_only_until", 0)
        torch.set_rng_state(state["torch_rng"])
        journal.truncate_after(start)
        journal.log(f"train-gan: resumed at step {start} ({train_seconds / 60:.1f} min trained)")
        if state["disc"] is None:   # written by warm-start: fresh discriminator and optimizers
            disc_only_until = start + cfg.disc_warmup_steps
            journal.log(f"train-gan: warm start from {warm_start['from'] if warm_start else '?'}: fresh "
                        f"discriminator and optimizers; the discriminator trains alone until step {disc_only_until}")
        else:
            disc.load_state_dict(state["disc"])
            opt_g.load_state_dict(state["opt_g"]), opt_d.load_state_dict(state["opt_d"])
        if cfg.reset_mappers:
            fresh, _, _ = build(mcfg, ce_state)
            for n in cfg.reset_mappers.split(","):
                mappers[n].load_state_dict(fresh[n].state_dict())
                for p in mappers[n].parameters():
                    opt_g.state.pop(p, None)
            journal.log(f"train-gan: mappers {cfg.reset_mappers} restarted from the stage-1 decoders")
    flops = {f"mapper.{n}": models.count_flops(mappers[n], [mcfg.latent]) for n in geometry.NAMES}
    flops["generator"] = models.count_flops(gen, models.input_shape("generator", mcfg), max(mcfg.appearance, 1))
    flops["discriminator"] = models.count_flops(disc, [4, resolution, resolution])
    journal.log(f"train-gan: {len(train_rows)} train images at {resolution}², params mappers "
                f"{models.count_params(mappers) / 1e6:.2f} M, generator {models.count_params(gen) / 1e6:.3f} M, "
                f"discriminator {models.count_params(disc) / 1e6:.3f} M; GFLOP/image "
                + ", ".join(f"{k} {v / 1e9:.3f}" for k, v in flops.items())
                + f"; device {device}, bf16 {cfg.bf16}, threads {torch.get_num_threads()}")
    db_lat = {n: db["latents"][n].to(device).double() for n in geometry.NAMES}
    v2 = mcfg.version >= 2
    if cfg.sketch_channel not in ("raw", "projected"):
        raise SystemExit(f"train-gan: sketch_channel must be raw or projected, got {cfg.sketch_channel!r}")
    projected_sketch = v2 and cfg.sketch_channel == "projected"
    db_crops = {}
    if projected_sketch:
        db_sk = np.asarray(sk[db["rows"].numpy()])
        db_crops = {n: torch.from_numpy(geometry.crop(db_sk, n)).to(device) for n in geometry.NAMES}
        del db_sk
    codes = torch.from_numpy(np.load(data.data_dir(cfg.run) / "appearance.npy")).to(device) if v2 else None
    if v2:
        gen.to(memory_format=torch.channels_last), disc.to(memory_format=torch.channels_last)

    def checkpoint(step, seconds):
        save_checkpoint(ckpt_path, {"step": step, "mappers": mappers.state_dict(), "gen": gen.state_dict(),
                                    "disc": disc.state_dict(), "opt_g": opt_g.state_dict(),
                                    "opt_d": opt_d.state_dict(), "torch_rng": torch.get_rng_state(),
                                    "model": mcfg.to_dict(), "config": vars(cfg), "train_seconds": seconds,
                                    "images_seen": step * cfg.batch, "ce_images_seen": ce_state["images_seen"],
                                    "disc_only_until": disc_only_until,
                                    **({"warm_start": warm_start} if warm_start else {})})
        journal.plot()

    def synthesize(xs, project_mask=None, rows=None, code=None):
        """(image, the generator's sketch channel or None); `xs`: input crops, `rows`: dataset rows (excluded
        from their own projection); `project_mask`: which items use projected latents (s = 1)."""
        feats, sketch_parts = {}, {}
        for n in geometry.NAMES:
            with torch.no_grad(), autocast(device, cfg.bf16):
                z = enc[n](xs[n]).float()
            sketch_parts[n] = xs[n]
            if project_mask is not None and project_mask.any():
                excl = torch.tensor([row_to_db.get(int(r), 0) for r in rows], device=device)
                p, nbr, w = project_batch(z, db_lat[n], excl, cfg.k_project, cfg.lle_regularization)
                z = torch.where(project_mask[:, None], p, z)
                if projected_sketch:
                    with torch.no_grad():
                        sketch_parts[n] = projected_crops(xs[n], nbr, w, db_crops[n], project_mask)
            feats[n] = mappers[n](z)
        fused = geometry.fuse(feats, resolution)
        if not v2:
            return gen(fused), None
        sketch = geometry.fuse(sketch_parts, resolution)
        x = torch.cat([fused, sketch], 1).contiguous(memory_format=torch.channels_last)
        return models.run(gen, x, code), sketch

    from tqdm import tqdm
    t_ckpt, t_start, t0 = time.time(), time.time(), time.time()
    done = start
    bar = tqdm(range(start, cfg.steps), initial=start, total=cfg.steps, desc="train-gan", unit="step")
    for step in bar:
        rng = np.random.default_rng([cfg.seed, step])
        idx = np.sort(rng.choice(train_rows, cfg.batch, replace=len(train_rows) < cfg.batch))
        noisy, xs, _ = batch_inputs(sk, idx, rng, cfg.degrade_prob, device)
        real = photo_input(photos[idx], device)
        cond = geometry.to_input(noisy).to(device)
        mask = torch.from_numpy(rng.random(cfg.batch) < cfg.project_prob).to(device)
        code = None
        if v2:
            jitter = torch.from_numpy(rng.normal(0, cfg.appearance_jitter, (cfg.batch, codes.shape[1]))).float()
            code = (codes[torch.from_numpy(idx)] + jitter.to(device)).clamp(-1, 1)
        d_only = step < disc_only_until
        for group in opt_g.param_groups + opt_d.param_groups:   # after a resume too: load_state_dict restores
            group["lr"] = lr_at(cfg, step)                      # the checkpoint's rate
        warm = not d_only and step < cfg.warmup_steps
        with torch.set_grad_enabled(not d_only), autocast(device, cfg.bf16):
            fake, sketch_in = synthesize(xs, mask, idx, code)
        if sketch_in is not None:
            cond = sketch_in.float()   # the discriminator judges the pair the generator was given
        if warm:
            loss_d = loss_gan = loss_fm = torch.zeros(())
            loss_l1 = (fake.float() - real).abs().mean()
            loss_g = cfg.l1_weight * loss_l1
        else:
            with autocast(device, cfg.bf16):
                d_real = disc(torch.cat([cond, real], 1))
                d_fake = disc(torch.cat([cond, fake.detach()], 1))
                loss_d = 0.5 * (lsgan(d_real, 1.0) + lsgan(d_fake, 0.0))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        if d_only:
            loss_gan = loss_fm = torch.zeros(())
            loss_l1 = (fake.float() - real).abs().mean()
        elif not warm:
            with autocast(device, cfg.bf16):
                g_fake = disc(torch.cat([cond, fake], 1))
                loss_gan = lsgan(g_fake, 1.0)
                loss_fm = feature_matching(g_fake, d_real)
                loss_l1 = (fake.float() - real).abs().mean()
                loss_g = loss_gan + cfg.fm_weight * loss_fm + cfg.l1_weight * loss_l1
        if not d_only:
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
        done = step + 1
        seconds = train_seconds + time.time() - t_start
        out_of_time = cfg.max_minutes > 0 and seconds > cfg.max_minutes * 60
        if done % cfg.log_every == 0 or done == cfg.steps:
            rate = (done - start) * cfg.batch / max(time.time() - t0, 1e-6)
            journal.record(done, d=loss_d.item(), g_gan=loss_gan.item(), fm=loss_fm.item(), l1=loss_l1.item())
            bar.set_postfix(l1=f"{loss_l1.item():.3f}", d=f"{loss_d.item():.3f}", img_s=f"{rate:.2f}")
            if done % (cfg.log_every * 5) == 0 or done == cfg.steps:
                journal.log(f"train-gan: step {done} d {loss_d.item():.3f} g {loss_gan.item():.3f} "
                            f"fm {loss_fm.item():.3f} l1 {loss_l1.item():.3f} lr {lr_at(cfg, step):.2e} "
                            f"({rate:.2f} img/s, "
                            f"{seconds / 60:.1f} min, {done * cfg.batch} images)")
        if done % cfg.sample_every == 0 or done == cfg.steps or out_of_time:
            with torch.no_grad():
                tsk = np.asarray(sk[test_rows])
                txs = {n: geometry.to_input(geometry.crop(tsk, n)).to(device) for n in geometry.NAMES}
                gen.eval()
                tcode = codes[torch.from_numpy(test_rows)] if v2 else None
                out = synthesize(txs, code=tcode)[0].float().cpu()
                gen.train()
            save_grid(journal.dir / "samples" / f"gan_{done:06d}.png",
                      [geometry.to_input(tsk), out, photo_input(photos[test_rows], "cpu")])
        if time.time() - t_ckpt > cfg.ckpt_minutes * 60 or done == cfg.steps or out_of_time:
            checkpoint(done, seconds)
            t_ckpt = time.time()
        if out_of_time:
            break
    bar.close()
    journal.log(f"train-gan: stopped at step {done} ({done * cfg.batch} images seen, "
                f"{(train_seconds + time.time() - t_start) / 60:.1f} min)")
