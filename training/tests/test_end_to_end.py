"""A tiny run of the whole pipeline (8 training images at R=64, a few steps per stage) and its export.

The run is a format version 2 model (appearance codes, data-derived boxes, U-Net + FiLM generator)."""
import json

import numpy as np
import pytest
from safetensors.torch import load_file

from sketchface_train import (appearance, build_db, data, evaluate, export, geometry, manifest as mf, train_ce,
                              train_gan, warm_start)
from sketchface_train.runner import Model


@pytest.fixture(scope="module")
def run(tmp_path_factory, data_dir):
    run = tmp_path_factory.mktemp("run")
    data.main(data.Config(data=str(data_dir), run=str(run), resolution=64, train_ids="0:8", test_ids="4500:4502",
                          workers=1))
    appearance.main(appearance.Config(data=str(data_dir), run=str(run), workers=1, palette=3))
    common = dict(run=str(run), device="cpu", log_every=1, sample_every=2)
    train_ce.main(train_ce.Config(steps=2, batch=4, tiny=True, **common))
    train_ce.main(train_ce.Config(steps=3, batch=4, tiny=True, resume=True, **common))
    build_db.main(build_db.Config(run=str(run)))
    train_gan.main(train_gan.Config(steps=2, batch=2, k_project=3, project_prob=1.0, warmup_steps=1, **common))
    # the repair path the shipped model took: retrain one autoencoder, rebuild the database, restart its mapper
    train_ce.main(train_ce.Config(steps=2, batch=4, retrain="remainder", **common))
    build_db.main(build_db.Config(run=str(run)))
    train_gan.main(train_gan.Config(steps=3, batch=2, k_project=3, resume=True, reset_mappers="remainder", **common))
    return run


def test_prepare_caches_sketches_and_photos_at_model_resolution(run):
    ids, sk, photos = data.load(run)
    assert ids.tolist() == list(range(8)) + [4500, 4501]
    assert sk.shape == (10, 64, 64) and photos.shape == (10, 64, 64, 3)
    assert np.load(run / "data" / "test_sketches512.npy").shape == (2, 512, 512)


def test_appearance_codes_and_boxes_come_from_the_labels(run, data_dir):
    codes = np.load(run / "data" / "appearance.npy")
    assert codes.shape == (10, 15) and codes.dtype == np.float32 and np.all(np.abs(codes) <= 1)
    stats = json.loads((run / "data" / "label_stats.json").read_text())
    assert len(stats["palette"]) == 3 and all(len(p) == 15 for p in stats["palette"])
    for name in ("left_eye", "right_eye", "nose", "mouth"):
        x, y, side = stats["boxes"][name]
        assert x % 8 == 0 and y % 8 == 0 and x + side <= 512 and y + side <= 512
    le, re = stats["boxes"]["left_eye"], stats["boxes"]["right_eye"]
    assert le[1] == re[1] and le[0] < re[0]
    rm = stats["region_map"]
    assert rm["grid"] in appearance.MAP_GRIDS and len(rm["rows"]) == rm["grid"] and len(rm["fallback"]) == 15
    assert stats["region_map_eval"]["photos"] == 2
    assert len(rm["thresholds"]) == 5 and str(rm["grid"]) in stats["region_map_eval"]
    # the standalone pass (labels only) finds the same map for the same run
    cov = np.load(run / "data" / "region_coverage.npy")
    appearance.main(appearance.Config(data=str(data_dir), run=str(run), workers=1, region_map_only=True))
    again = json.loads((run / "data" / "label_stats.json").read_text())
    assert again == stats and np.allclose(np.load(run / "data" / "region_coverage.npy"), cov, atol=1e-6)


def test_resume_continues_from_the_checkpoint(run):
    rows = [json.loads(l) for l in (run / "train-ce.losses.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert "resumed at step 2" in (run / "train-ce.log").read_text()


def test_retraining_one_component_keeps_the_others(run):
    import torch
    state = torch.load(run / "ce.pt", weights_only=False)
    first = torch.load(run / "ce.retrain.pt", weights_only=False)
    assert state["step"] == 3 + 2 and state["retrained"] == {"remainder": {"steps": 2, "images_seen": 8}}
    assert "mappers remainder restarted" in (run / "train-gan.log").read_text()
    assert torch.equal(state["enc"]["remainder.0.weight"], first["enc"]["remainder.0.weight"])


def test_jobs_leave_plots_samples_and_checkpoints(run):
    for name in ("ce.pt", "db.pt", "gan.pt", "train-ce.losses.png", "train-gan.losses.png",
                 "samples/ce_000002.png", "samples/gan_000002.png"):
        assert (run / name).exists(), name


def test_export_loads_back_through_the_runner_and_validates(run, tmp_path, data_dir):
    out = tmp_path / "model"
    export.main(export.Config(run=str(run), out=str(out), part_entries=6, remainder_entries=5, k_project=3,
                              k_shadow=2, golden=str(tmp_path / "golden.safetensors"), golden_ids="4500"))
    manifest = json.loads((out / "manifest.json").read_text())
    weights, db = load_file(out / "weights.safetensors"), load_file(out / "database.safetensors")
    mf.validate(manifest, weights, db)
    stats = json.loads((run / "data" / "label_stats.json").read_text())
    # train-gan's default sketch channel is the projected one: the generator reads the projected sketch
    assert manifest["version"] == 2 and manifest["generator_input"] == ["fused", "projected_sketch"]
    assert manifest["appearance"]["palette"] == [[round(v, 6) for v in p] for p in stats["palette"]]
    assert {c["name"]: c["box"] for c in manifest["components"]}["nose"] == stats["boxes"]["nose"]
    assert manifest["appearance"]["region_map"] == export.region_map_section(stats["region_map"])
    assert manifest["training"]["gan_steps"] == 3 and db["remainder.latents"].shape[0] == 5
    assert all(t.dtype.is_floating_point and t.element_size() == 2 for t in weights.values())
    model = Model.load(out)
    canvas = np.load(run / "data" / "test_sketches512.npy")[0]
    result = model.synthesize(canvas, 1.0)
    assert result["image"].shape == (3, 64, 64) and result["image"].dtype == np.uint8
    golden = load_file(tmp_path / "golden.safetensors")
    assert np.array_equal(golden["sketch0.image"].numpy(), result["image"])
    assert golden["sketch0.fused"].dtype.itemsize == 2
    # the exported database latents are what the exported encoders compute for the stored crops
    crops = db["nose.crops"].numpy()
    again = model.run("encoder.nose", geometry.to_input(crops))
    assert np.allclose(again.numpy(), db["nose.latents"].numpy(), atol=1e-5)

    # a different appearance code gives a different face from the same sketch
    other = model.synthesize(canvas, 1.0, appearance=2)
    assert not np.array_equal(other["image"], result["image"])
    assert np.array_equal(golden["sketch0.appearance"].numpy(), model.appearance("default"))
    # a code from a photo by the exported region map: a held-out photo's, near its label-exact code
    photo, labels = data.load_pair(data_dir, 4500)
    exact = appearance.fill_absent(appearance.region_means(photo, labels)[0][None], np.asarray(stats["region_mean"]))
    from_photo = model.appearance_from_photo(photo)
    assert from_photo.shape == (15,) and np.abs(from_photo - exact[0]).mean() < 0.15

    # the channel can be overridden at export: the same weights reading the plain sketch, recorded as such
    raw = tmp_path / "model-raw"
    export.main(export.Config(run=str(run), out=str(raw), part_entries=6, remainder_entries=5, k_project=3,
                              k_shadow=2, sketch_channel="raw"))
    raw_manifest = json.loads((raw / "manifest.json").read_text())
    assert raw_manifest["generator_input"] == ["fused", "sketch"]
    assert raw_manifest["training"]["generator_input"] == ["fused", "sketch"]
    assert raw_manifest["training"]["gan_config"]["sketch_channel"] == "projected"
    assert load_file(raw / "weights.safetensors").keys() == weights.keys()
    with pytest.raises(SystemExit, match="sketch_channel must be"):
        export.main(export.Config(run=str(run), out=str(tmp_path / "bad"), sketch_channel="rough"))

    evaluate.main(evaluate.Config(model=str(out), run=str(run), n=2, severities="0,3", batch=2, face_n=2))
    report = json.loads((out / "eval.json").read_text())
    faces = report["faces"]["results"]
    assert set(faces) == {f"{a}/severity{v}/s{s}" for a in ("default", "own") for v in (0, 3) for s in (0, 1)}
    assert all(r["nme"] > 0 and 0 <= r["identity_match"] <= 1 for r in faces.values())
    assert set(report["faces"]["stamp_ratio_default_s1"]) == {"left_eye", "right_eye", "nose", "mouth"}
    assert report["n"] == 2 and set(report["results"]) == {"severity0_s1", "severity0_s0", "severity3_s1",
                                                           "severity3_s0"}
    assert all(0 < r["psnr"] < 60 and -1 <= r["ssim"] <= 1 for r in report["results"].values())
    assert (out / "samples.png").exists()


def test_warm_start_from_an_export_gives_the_same_model_and_trains_on(run, tmp_path):
    """A new machine: the run folder is gone, the exported model is all there is (issue 9)."""
    import torch
    small = dict(part_entries=6, remainder_entries=5, k_project=3, k_shadow=2)
    first = tmp_path / "first"
    export.main(export.Config(run=str(run), out=str(first), **small))
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "data").symlink_to(run / "data")   # prepare + appearance are recomputed as usual; here: reused
    warm_start.main(warm_start.Config(run=str(fresh), model=str(first)))
    assert (fresh / "ce.done").exists() and not (fresh / "db.pt").exists()
    build_db.main(build_db.Config(run=str(fresh)))
    again = tmp_path / "again"
    export.main(export.Config(run=str(fresh), out=str(again), **small))

    w1, w2 = load_file(first / "weights.safetensors"), load_file(again / "weights.safetensors")
    assert set(w1) == set(w2)
    assert all(w2[k].dtype == torch.float16 and torch.equal(w1[k], w2[k]) for k in w1)
    m1, m2 = (json.loads((f / "manifest.json").read_text()) for f in (first, again))
    t1, t2 = m1.pop("training"), m2.pop("training")
    assert m1 == m2
    assert t2["model_config"] == t1["model_config"] and t2["gan_steps"] == t1["gan_steps"] == 3
    assert t2["warm_start"]["from"] == str(first) and t2["warm_start"]["gan_steps"] == 3 and "warm_start" not in t1

    # train-gan resumes the warm start: one step trains only the fresh discriminator, the next the generator too
    common = dict(run=str(fresh), batch=2, k_project=3, resume=True, disc_warmup_steps=1, device="cpu",
                  log_every=1, sample_every=100)
    train_gan.main(train_gan.Config(steps=4, **common))
    one = torch.load(fresh / "gan.pt", weights_only=False)
    assert one["step"] == 4 and one["disc"] is not None and one["disc_only_until"] == 4
    assert all(torch.equal(one["gen"][k].half(), w1[f"generator.{k}"]) for k in one["gen"])
    assert "discriminator trains alone until step 4" in (fresh / "train-gan.log").read_text()
    train_gan.main(train_gan.Config(steps=5, **common))
    two = torch.load(fresh / "gan.pt", weights_only=False)
    assert two["step"] == 5 and two["warm_start"] == t2["warm_start"]
    assert not all(torch.equal(two["gen"][k], one["gen"][k]) for k in one["gen"])
