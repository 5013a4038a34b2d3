"""The `projected_sketch` generator input (docs/MODEL_FORMAT.md, "Projected sketch"): the training helper, the
reference runner, validation, the config/exporter and the committed fixture variant."""
import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from sketchface_train import export, geometry, manifest as mf, models, projection, synthetic
from sketchface_train.runner import Model

FIXTURES = Path(__file__).resolve().parents[2] / "Tests/FaceModelTests/Fixtures"
PROJECTED, TINY = FIXTURES / "tiny-projected", FIXTURES / "tiny"


@pytest.fixture
def model():
    return Model.load(PROJECTED)   # installs the fixture's boxes (after conftest's v1 layout)


def projection_of(model, small, s=1.0):
    """knn ids and LLE weights per component of one downsampled canvas, as the runner computes them."""
    m, knn, weights = model.manifest, {}, {}
    for name in geometry.NAMES:
        z = model.run(f"encoder.{name}", geometry.to_input(geometry.crop(small, name))).double().numpy()
        _, knn[name], weights[name], _ = projection.project(z, model.latents(name), m["k_project"],
                                                            m["lle_regularization"], s)
    return knn, weights


def naive_channel(model, small, knn, weights, sliders):
    """The documented rule, pixel loop by pixel loop: blend and clamp each component, paste in fusion order."""
    r = small.shape[-1]
    out = np.zeros((r, r))
    for name in ("remainder",) + geometry.FUSION_ORDER:
        x0, y0, side = geometry.BY_NAME[name].box_at(r)
        crop = geometry.crop(small, name)
        db = model.database[f"{name}.crops"].numpy()
        s = sliders[name]
        for y in range(side):
            for x in range(side):
                refined = sum(float(w) * (float(db[i, y, x]) / 127.5 - 1) for i, w in zip(knn[name], weights[name]))
                c = float(np.float32(crop[y, x]) / np.float32(127.5) - np.float32(1))
                out[y0 + y, x0 + x] = min(1.0, max(-1.0, s * refined + (1 - s) * c))
    return out.astype(np.float32)


def test_the_channel_follows_the_documented_rule_per_component_slider(model):
    small = geometry.downsample(synthetic.face(seed=21), model.resolution)
    knn, weights = projection_of(model, small)
    sliders = {"left_eye": 1.0, "right_eye": 0.25, "nose": 0.0, "mouth": 0.6, "remainder": 0.8}
    got = model.sketch_input(small, knn, weights, sliders)
    assert got.shape == (1, 64, 64) and got.dtype == torch.float32
    assert np.allclose(got[0].numpy(), naive_channel(model, small, knn, weights, sliders), atol=1e-6)


def test_at_slider_zero_it_is_the_plain_sketch_channel_exactly(model):
    small = geometry.downsample(synthetic.face(seed=22), model.resolution)
    knn, weights = projection_of(model, small)
    got = model.sketch_input(small, knn, weights, 0.0)
    assert torch.equal(got, geometry.to_input(small))
    # and at s = 1 it is not: the database crops replace the drawing
    assert not torch.equal(model.sketch_input(small, knn, weights, 1.0), got)


def test_the_training_helper_batches_and_takes_per_sample_sliders(model):
    small = geometry.downsample(np.stack([synthetic.face(seed=23), synthetic.face(seed=24)]), model.resolution)
    per = [projection_of(model, s) for s in small]
    knn = {n: np.stack([p[0][n] for p in per]) for n in geometry.NAMES}
    weights = {n: np.stack([p[1][n] for p in per]) for n in geometry.NAMES}
    crops = {n: geometry.to_input(geometry.crop(small, n)) for n in geometry.NAMES}
    nbrs = {n: torch.from_numpy(model.database[f"{n}.crops"].numpy()[knn[n]].astype(np.float32) / 127.5 - 1)
            for n in geometry.NAMES}
    ws = {n: torch.from_numpy(weights[n]).float() for n in geometry.NAMES}
    s = torch.tensor([1.0, 0.0])
    x = geometry.projected_sketch(crops, nbrs, ws, s)
    assert x.shape == (2, 1, 64, 64) and x.dtype == torch.float32
    assert torch.allclose(x[0], model.sketch_input(small[0], {n: knn[n][0] for n in knn},
                                                   {n: weights[n][0] for n in weights}, 1.0), atol=1e-5)
    assert torch.equal(x[1], geometry.to_input(small[1]))
    assert x.min() >= -1 and x.max() <= 1


def test_negative_weights_are_clamped_to_the_pixel_range():
    geometry.use_boxes(geometry.V1_BOXES)
    r = 64
    crops = {n: torch.ones(1, 1, *(geometry.BY_NAME[n].box_at(r)[2],) * 2) for n in geometry.NAMES}
    nbrs = {n: torch.stack([-c[:, 0], c[:, 0]], 1) for n, c in crops.items()}  # black row, white row
    ws = {n: torch.tensor([[1.5, -0.5]]) for n in geometry.NAMES}                # 1.5·(−1) − 0.5·1 = −2
    x = geometry.projected_sketch(crops, nbrs, ws, 1.0)
    assert torch.equal(x, torch.full((1, 1, r, r), -1.0))


def test_the_projected_fixture_goldens_are_what_the_runner_computes(model):
    golden = load_file(PROJECTED / "golden.safetensors")
    out = model.synthesize(golden["sketch0.canvas"].numpy(), 1.0)
    assert torch.equal(torch.from_numpy(out["sketch_input"]), golden["sketch0.sketch_input"])
    assert torch.equal(torch.from_numpy(out["image"]), golden["sketch0.image"])
    plain = load_file(TINY / "golden.safetensors")
    assert "sketch0.sketch_input" not in plain, "a sketch model's goldens are unchanged"
    assert torch.equal(golden["sketch0.fused"], plain["sketch0.fused"])
    assert not torch.equal(golden["sketch0.image"], plain["sketch0.image"])


def test_the_runner_refuses_a_projected_model_without_projections(model):
    small = np.full((64, 64), 255, np.uint8)
    with pytest.raises(ValueError, match="needs every component's knn ids and weights"):
        model.generator_input(torch.zeros(3, 64, 64), small)


def test_validation_accepts_projected_sketch_only_as_the_version_2_sketch_block():
    m = json.loads((PROJECTED / "manifest.json").read_text())
    weights, db = load_file(PROJECTED / "weights.safetensors"), load_file(PROJECTED / "database.safetensors")
    mf.validate(m, weights, db)
    for bad in (["fused", "projected_sketch", "sketch"], ["projected_sketch"], ["fused", "edges"]):
        broken = copy.deepcopy(m)
        broken["generator_input"] = bad
        with pytest.raises(mf.ManifestError, match="generator_input must be one of"):
            mf.validate(broken, weights, db)
    v1 = copy.deepcopy(m)
    v1["version"] = 1
    for key in ("input_normalisation", "appearance"):
        del v1[key]
    with pytest.raises(mf.ManifestError, match="generator_input: only in version 2"):
        mf.validate(v1, weights, db)


def test_model_config_says_which_sketch_block_the_generator_reads_and_export_writes_it():
    boxes = {n: list(b) for n, b in geometry.V1_BOXES.items()}
    assert models.ModelConfig.tiny_v2(boxes).generator_blocks() == ("fused", "sketch")
    assert models.ModelConfig.tiny().generator_blocks() == ("fused",)
    cfg = models.ModelConfig.tiny_v2(boxes)
    cfg.generator_input = ("fused", "projected_sketch")
    assert models.input_shape("generator", cfg) == [cfg.feature_channels + 1, 64, 64]
    m = export.build_manifest(cfg, {}, 3, 2, 1e-3, {}, {"regions": ["skin"], "palette": [[0, 0, 0]]})
    assert m["generator_input"] == ["fused", "projected_sketch"]
    assert models.ModelConfig.from_dict(cfg.to_dict()).generator_blocks() == ("fused", "projected_sketch")
    v1 = models.ModelConfig.tiny()
    v1.generator_input = ("fused", "projected_sketch")
    with pytest.raises(ValueError, match="version 1"):
        v1.generator_blocks()
