"""Training throughput of both stages (img/s) on this machine, fp32 vs bf16 autocast, one thread by default.

    PYTHONPATH=training .venv/bin/python bench/train/step_speed.py [--threads 1] [--steps 6]

Random inputs (no data loading or sketch degradation), so it measures the networks alone; prints medians.
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from sketchface_train import geometry, models
from sketchface_train.journal import autocast
from sketchface_train.train_gan import feature_matching, lsgan


def ce_step(enc, dec, opt, b, r, bf16):
    xs = {n: torch.rand(b, 1, s, s) * 2 - 1 for n, s in
          ((n, geometry.BY_NAME[n].box_at(r)[2]) for n in geometry.NAMES)}
    with autocast(torch.device("cpu"), bf16):
        loss = sum((dec[n](enc[n](x)).float() - x).abs().mean() for n, x in xs.items())
    opt.zero_grad()
    loss.backward()
    opt.step()


def gan_step(enc, mappers, gen, disc, opt_g, opt_d, b, cfg, bf16):
    r = cfg.resolution
    dev = torch.device("cpu")
    xs = {n: torch.rand(b, 1, s, s) * 2 - 1 for n, s in
          ((n, geometry.BY_NAME[n].box_at(r)[2]) for n in geometry.NAMES)}
    real, cond = torch.rand(b, 3, r, r) * 2 - 1, torch.rand(b, 1, r, r) * 2 - 1
    with autocast(dev, bf16):
        with torch.no_grad():
            zs = {n: enc[n](x).float() for n, x in xs.items()}
        fake = gen(geometry.fuse({n: mappers[n](z) for n, z in zs.items()}, r))
        d_real, d_fake = disc(torch.cat([cond, real], 1)), disc(torch.cat([cond, fake.detach()], 1))
        loss_d = lsgan(d_real, 1.0) + lsgan(d_fake, 0.0)
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    with autocast(dev, bf16):
        g = disc(torch.cat([cond, fake], 1))
        loss = lsgan(g, 1.0) + 10 * feature_matching(g, d_real) + 10 * (fake.float() - real).abs().mean()
    opt_g.zero_grad()
    loss.backward()
    opt_g.step()


def timed(fn, steps):
    fn()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--ce-batch", type=int, default=8)
    p.add_argument("--gan-batch", type=int, default=4)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    cfg = models.ModelConfig()
    enc = torch.nn.ModuleDict({n: models.encoder(n, cfg) for n in geometry.NAMES})
    dec = torch.nn.ModuleDict({n: models.decoder(n, cfg, 1, True) for n in geometry.NAMES})
    mappers = torch.nn.ModuleDict({n: models.mapper_from_decoder(dec[n], cfg) for n in geometry.NAMES})
    gen, disc = models.generator(cfg), models.MultiScaleDiscriminator(cfg)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()))
    opt_g = torch.optim.Adam(list(mappers.parameters()) + list(gen.parameters()))
    opt_d = torch.optim.Adam(disc.parameters())
    print(f"threads {a.threads}, resolution {cfg.resolution}")
    for bf16 in (False, True):
        t = timed(lambda: ce_step(enc, dec, opt, a.ce_batch, cfg.resolution, bf16), a.steps)
        print(f"stage 1 (5 autoencoders) batch {a.ce_batch} {'bf16' if bf16 else 'fp32'}: "
              f"{t:.3f} s/step, {a.ce_batch / t:.2f} img/s")
        t = timed(lambda: gan_step(enc, mappers, gen, disc, opt_g, opt_d, a.gan_batch, cfg, bf16), a.steps)
        print(f"stage 2 (mappers + generator + D) batch {a.gan_batch} {'bf16' if bf16 else 'fp32'}: "
              f"{t:.3f} s/step, {a.gan_batch / t:.2f} img/s")


if __name__ == "__main__":
    main()
