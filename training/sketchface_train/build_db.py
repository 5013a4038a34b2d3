"""`build-db`: encode every training sketch with the stage-1 encoders → `db.pt` (latents per component).

Stage 2 projects some latents onto this database (so the mappers learn what the runtime feeds them at s=1);
`export` draws the shipped subset from it and re-encodes that subset with the exported weights.
"""
from dataclasses import dataclass

import numpy as np
import torch

from . import data, geometry, models
from .journal import DEFAULT_RUN, Journal, autocast, load_checkpoint, pick_device, save_checkpoint, setup_threads


@dataclass
class Config:
    """Encode all training sketches into the component database."""
    run: str = DEFAULT_RUN
    batch: int = 64
    device: str = "auto"
    threads: int = 1


def load_encoders(run, device):
    state = load_checkpoint(f"{run}/ce.pt")
    mcfg = models.ModelConfig.from_dict(state["model"]).install_boxes()
    enc = torch.nn.ModuleDict({n: models.encoder(n, mcfg) for n in geometry.NAMES})
    enc.load_state_dict(state["enc"])
    return enc.to(device).eval(), mcfg, state


@torch.no_grad()
def encode(enc, sketches_u8, device, batch=64):
    out = {n: [] for n in geometry.NAMES}
    for i in range(0, len(sketches_u8), batch):
        chunk = np.asarray(sketches_u8[i:i + batch])
        for n in geometry.NAMES:
            out[n].append(enc[n](geometry.to_input(geometry.crop(chunk, n)).to(device)).float().cpu())
    return {n: torch.cat(v) for n, v in out.items()}


def main(cfg):
    from tqdm import tqdm
    setup_threads(cfg.threads)
    device = pick_device(cfg.device)
    journal = Journal(cfg.run, "build-db")
    enc, mcfg, _ = load_encoders(cfg.run, device)
    ids, sk, _ = data.load(cfg.run)
    test = set(np.load(data.data_dir(cfg.run) / "test_ids.npy").tolist())
    rows = np.array([i for i, v in enumerate(ids) if v not in test])
    lat = {n: [] for n in geometry.NAMES}
    for i in tqdm(range(0, len(rows), cfg.batch), desc="build-db", unit="batch"):
        part = encode(enc, sk[rows[i:i + cfg.batch]], device, cfg.batch)
        for n in geometry.NAMES:
            lat[n].append(part[n])
    db = {"rows": torch.from_numpy(rows), "ids": torch.from_numpy(ids[rows].astype(np.int64)),
          "latents": {n: torch.cat(v) for n, v in lat.items()}}
    save_checkpoint(journal.dir / "db.pt", db)
    journal.log(f"build-db: {len(rows)} sketches × {len(geometry.NAMES)} components → {journal.dir / 'db.pt'}")
