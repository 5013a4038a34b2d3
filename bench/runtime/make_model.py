"""A randomly initialised model with the shipped architecture (ModelConfig defaults, R = 256), for timing
before (or besides) the trained export. Database: random latents, procedural crops; N rows per part and
fewer for the remainder (its crops are whole R² images).

usage: make_model.py OUT_DIR [N_PARTS] [N_REMAINDER]
"""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training"))
from sketchface_train import export, geometry, models  # noqa: E402

out = Path(sys.argv[1])
n_parts = int(sys.argv[2]) if len(sys.argv) > 2 else 4500
n_rem = int(sys.argv[3]) if len(sys.argv) > 3 else 500
torch.manual_seed(0)
cfg = models.ModelConfig()
nets = models.inference_networks(cfg)
specs, tensors, flops = export.network_specs(nets, cfg, {"encoder": torch.float16, "mapper": torch.float16, "generator": torch.float16})
manifest = export.build_manifest(cfg, specs, 10, 10, 1e-3, {"note": "random weights for benchmarking", "flops": flops})
g = torch.Generator().manual_seed(1)
database = {}
for c in geometry.COMPONENTS:
    n = n_rem if c.name == "remainder" else n_parts
    s = c.box[2] * cfg.resolution // geometry.CANVAS
    database[f"{c.name}.latents"] = torch.randn(n, cfg.latent, generator=g)
    database[f"{c.name}.crops"] = torch.randint(0, 256, (n, s, s), generator=g, dtype=torch.uint8)
    database[f"{c.name}.ids"] = torch.arange(n, dtype=torch.int32)
export.write_model(out, manifest, tensors, database)
print(f"wrote {out}: generator {flops['generator'] / 1e9:.2f} GFLOP")
