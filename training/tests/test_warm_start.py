"""warm-start's loader: exported tensors back into the training modules, and its refusals (no run needed).

The round trip through a trained run (export → warm-start → export, then train-gan) is in test_end_to_end.py."""
import copy
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from sketchface_train import export, fixtures, geometry, models, warm_start
from sketchface_train.warm_start import WarmStartError

TINY = Path(__file__).resolve().parents[2] / "Tests/FaceModelTests/Fixtures/tiny"


@pytest.fixture()
def exported():
    """(manifest, tensors, networks) of the tiny v2 architecture as `export` writes it (with model_config)."""
    cfg, nets = fixtures.init_tiny(5)
    specs, tensors, _ = export.network_specs(nets, cfg)
    manifest = export.build_manifest(cfg, specs, 3, 2, 1e-3, {"model_config": cfg.to_dict(), "gan_steps": 7},
                                     fixtures.APPEARANCE)
    return manifest, tensors, nets


def test_loaded_networks_hold_the_exported_tensors_and_compute_the_same(exported):
    manifest, tensors, original = exported
    cfg, nets = warm_start.load_networks(manifest, tensors)
    assert set(nets) == set(original)
    specs, again, _ = export.network_specs(nets, cfg)
    assert specs == manifest["networks"] and set(again) == set(tensors)
    assert all(torch.equal(again[k], tensors[k]) for k in tensors)
    x = torch.rand(2, *models.input_shape("generator", cfg)) * 2 - 1
    a = torch.rand(2, cfg.appearance)
    with torch.no_grad():
        want = models.run(original["generator"].half().float(), x, a)
        assert torch.allclose(models.run(nets["generator"], x, a), want, atol=1e-5)


def test_decoders_are_the_mappers_bodies_with_a_fresh_last_layer(exported):
    manifest, tensors, _ = exported
    cfg, nets = warm_start.load_networks(manifest, tensors)
    ce, gan = warm_start.checkpoints(manifest, cfg, nets, TINY, seed=3)
    mapper = nets["mapper.nose"]
    last = len(mapper) - 1
    assert torch.equal(ce["dec"]["nose.0.weight"], mapper[0].weight)
    assert list(ce["dec"][f"nose.{last}.weight"].shape) == [1, mapper[last].in_channels, 3, 3]
    assert f"nose.{last + 1}.weight" not in ce["dec"] and set(ce["enc"]) == {
        f"{n}.{k}" for n in geometry.NAMES for k in nets[f"encoder.{n}"].state_dict()}
    assert gan["step"] == 7 and gan["disc"] is None and gan["opt_g"] is None and ce["opt"] is None
    assert ce["warm_start"]["from"] == str(TINY) and len(ce["warm_start"]["weights_sha256"]) == 16


def test_a_model_without_model_config_is_refused_by_name():
    manifest = json.loads((TINY / "manifest.json").read_text())
    with pytest.raises(WarmStartError, match="no training.model_config"):
        warm_start.load_networks(manifest, load_file(TINY / "weights.safetensors"))


def test_a_model_config_that_contradicts_the_manifest_is_refused(exported):
    manifest, tensors, _ = exported
    bad = copy.deepcopy(manifest)
    bad["training"]["model_config"]["latent"] = 32
    with pytest.raises(WarmStartError, match="model_config.latent is 32, the manifest says 64"):
        warm_start.load_networks(bad, tensors)
    bad = copy.deepcopy(manifest)
    bad["training"]["model_config"]["unet_res"] = 2
    with pytest.raises(WarmStartError, match="generator: layer .* differs"):
        warm_start.load_networks(bad, tensors)
    bad = copy.deepcopy(manifest)
    bad["training"]["model_config"]["colour"] = 1
    with pytest.raises(WarmStartError, match="training.model_config: .*colour"):
        warm_start.load_networks(bad, tensors)


def test_missing_misshapen_and_extra_tensors_are_named(exported):
    manifest, tensors, _ = exported
    w = dict(tensors)
    del w["mapper.mouth.0.weight"]
    with pytest.raises(WarmStartError, match="mapper.mouth.0.weight missing"):
        warm_start.load_networks(manifest, w)
    w = dict(tensors, **{"encoder.nose.0.bias": torch.zeros(3)})
    with pytest.raises(WarmStartError, match="encoder.nose.0.bias has shape"):
        warm_start.load_networks(manifest, w)
    w = dict(tensors, **{"generator.99.weight": torch.zeros(1)})
    with pytest.raises(WarmStartError, match="tensors no network uses.*generator.99.weight"):
        warm_start.load_networks(manifest, w)


def test_a_run_with_checkpoints_is_not_overwritten(tmp_path):
    (tmp_path / "gan.pt").write_bytes(b"trained")
    with pytest.raises(SystemExit, match="already has gan.pt"):
        warm_start.main(warm_start.Config(run=str(tmp_path), model=str(TINY)))
    assert (tmp_path / "gan.pt").read_bytes() == b"trained"


def test_a_model_folder_that_cannot_be_read_is_reported(tmp_path):
    with pytest.raises(SystemExit, match="warm-start: .*nowhere.*manifest.json"):
        warm_start.main(warm_start.Config(run=str(tmp_path / "run"), model=str(tmp_path / "nowhere")))
    assert not (tmp_path / "run" / "ce.pt").exists()
