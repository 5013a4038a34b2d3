"""PyTorch eager reference timing of the same exported model on the same sketches (training's manifest
runner, 2 threads, inference_mode). Prints JSON with the same stage names as runtime-bench.

usage: torch_bench.py MODEL_DIR SKETCH_DIR ITERATIONS [THREADS]
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training"))
from sketchface_train import geometry, projection  # noqa: E402
from sketchface_train.runner import Model  # noqa: E402

model_dir, sketch_dir, iterations = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
torch.set_num_threads(threads)
model = Model.load(model_dir)
m, r = model.manifest, model.resolution
canvases = [np.asarray(Image.open(p).convert("L")) for p in sorted(sketch_dir.glob("*.png"))]
stages = {}


def timed(name, fn):
    t = time.perf_counter()
    v = fn()
    stages.setdefault(name, []).append(time.perf_counter() - t)
    return v


def synthesize(canvas):
    """The same work as the Swift `FaceModel.synthesize`: crops, encoders, KNN + LLE, mappers, fusion,
    generator, u8 image (the runner's `synthesize` also blends five shadows)."""
    small = geometry.downsample(canvas, r)
    features, knn, weights = {}, {}, {}
    for name in geometry.NAMES:
        z = model.run(f"encoder.{name}", geometry.to_input(geometry.crop(small, name))).double().numpy()
        final, knn[name], weights[name], _ = projection.project(z, model.latents(name), m["k_project"],
                                                                m["lle_regularization"], 1.0)
        features[name] = model.run(f"mapper.{name}", torch.from_numpy(final.astype(np.float32)))
    fused = model.generator_input(geometry.fuse(features, r), small, knn, weights)
    return geometry.to_u8_image(model.run("generator", fused, model.appearance("default")))


with torch.inference_mode():
    model.synthesize(canvases[0], 1.0)  # warm-up
    for it in range(iterations):
        canvas = canvases[it % len(canvases)]
        small = geometry.downsample(canvas, r)
        features, knn, weights = {}, {}, {}
        for name in geometry.NAMES:
            x = torch.from_numpy(np.ascontiguousarray(geometry.to_input(geometry.crop(small, name))))
            z = timed(f"encode {name}", lambda: model.run(f"encoder.{name}", x)).double().numpy()
            lat = model.latents(name)
            final, ids, w, p = timed(f"knn+weights {name}", lambda: projection.project(z, lat, m["k_project"], m["lle_regularization"], 1.0))
            knn[name], weights[name] = ids, w
            features[name] = timed(f"mapping {name}", lambda: model.run(f"mapper.{name}", torch.from_numpy(final.astype(np.float32))))
        fused = timed("fuse", lambda: model.generator_input(geometry.fuse(features, r), small, knn, weights))
        timed("generator", lambda: model.run("generator", fused, model.appearance("default")))
        timed("full synthesis", lambda: synthesize(canvas))
        timed("runner.synthesize (+5 shadows)", lambda: model.synthesize(canvas, 1.0))


def summary(v):
    v = sorted(v)
    return {"p50_ms": v[len(v) // 2] * 1000, "p95_ms": v[round((len(v) - 1) * 0.95)] * 1000, "n": len(v)}


print(json.dumps({"threads": threads, "torch": torch.__version__, "stages": {k: summary(v) for k, v in stages.items()}}, indent=1))
