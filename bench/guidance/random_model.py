"""A stand-in for the shipped model when it is not exported yet: the shipped architecture at 256² with random
weights and a random database of the shipped size, written by the training pipeline's own exporter. Same FLOPs
and memory traffic as the real model, so latency figures carry over; the faces are noise.

usage: .venv/bin/python bench/guidance/random_model.py OUT_DIR
"""
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))

from sketchface_train import export, geometry, models  # noqa: E402


def main(out):
    torch.manual_seed(0)
    cfg = models.ModelConfig()
    nets = models.inference_networks(cfg)
    dtypes = {"encoder": torch.float16, "mapper": torch.float16, "generator": torch.float16}
    specs, tensors, flops = export.network_specs(nets, cfg, dtypes)
    training = {"note": "benchmark stand-in: shipped architecture, random weights, random database", "flops": flops}
    manifest = export.build_manifest(cfg, specs, 10, 10, 1e-3, training)
    database = {}
    for c in geometry.COMPONENTS:
        n = 200 if c.name == "remainder" else 1000
        side = cfg.resolution if c.name == "remainder" else c.box[2] * cfg.resolution // geometry.CANVAS
        database[f"{c.name}.latents"] = torch.randn(n, cfg.latent)
        crops = torch.full((n, side, side), 255, dtype=torch.uint8)
        crops[:, side // 4: side // 2, side // 4: 3 * side // 4] = torch.randint(0, 256, (n, side // 4, side // 2), dtype=torch.uint8)
        database[f"{c.name}.crops"] = crops
        database[f"{c.name}.ids"] = torch.arange(n, dtype=torch.int32)
    export.write_model(out, manifest, tensors, database)
    print(f"wrote {out}: " + ", ".join(f"{k} {v / 1e9:.2f} GFLOP" for k, v in flops.items() if k == "generator"))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
