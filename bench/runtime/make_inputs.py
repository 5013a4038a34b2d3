"""Write the benchmark's input sketches (procedural faces from training's synthetic.py) as 512² PNGs."""
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training"))
from sketchface_train import synthetic  # noqa: E402

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
variants = [None, ("head", "hair", "eyes", "nose", "mouth"), ("head", "brows", "eyes", "mouth"), ("head", "eyes")]
for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 8):
    parts = variants[i % len(variants)]
    canvas = synthetic.face(500 + i, parts) if parts else synthetic.face(500 + i)
    Image.fromarray(np.asarray(canvas, np.uint8), "L").save(out / f"sketch{i:02d}.png")
