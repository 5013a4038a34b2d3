"""train-gan's learning-rate schedule and the evaluator's lattice fraction (pure functions, no run needed)."""
import numpy as np
import pytest
from scipy import ndimage

from sketchface_train import face_metrics
from sketchface_train.train_gan import Config, lr_at


def test_learning_rate_is_constant_without_a_decay():
    cfg = Config(lr=2e-4)
    assert [lr_at(cfg, s) for s in (0, 1000, 10 ** 6)] == [2e-4] * 3


def test_learning_rate_falls_linearly_to_zero_and_stays_there():
    cfg = Config(lr=2e-4, lr_decay_start=3000, lr_decay_steps=2000)
    assert lr_at(cfg, 2999) == 2e-4
    assert lr_at(cfg, 3000) == 2e-4
    assert lr_at(cfg, 3500) == pytest.approx(1.5e-4)
    assert lr_at(cfg, 4000) == pytest.approx(1e-4)
    assert lr_at(cfg, 4999) == pytest.approx(1e-7)
    assert lr_at(cfg, 5000) == 0.0
    assert lr_at(cfg, 9000) == 0.0


def natural(seed, side=128):
    """Texture with no phase locked to the image origin: smoothed noise plus a few soft edges."""
    rng = np.random.default_rng(seed)
    img = ndimage.gaussian_filter(rng.normal(0, 40, (side, side)), 0.8) + 128
    img[:, side // 3:] += 30
    img[side // 2:, :] -= 20
    return img


def test_a_pattern_locked_to_the_grid_raises_the_lattice_fraction():
    clean = natural(1)
    lines = clean.copy()
    lines[:, ::4] += 25                      # a vertical line every 4 px, like a grid-locked upsampling artefact
    base4 = face_metrics.lattice_fraction(clean, 4)
    assert base4 < 0.03                      # chance level for 32×32 blocks: (16 - 1) / 64² tiles ≈ 0.015
    assert face_metrics.lattice_fraction(lines, 4) > 10 * base4
    assert face_metrics.lattice_fraction(lines, 8) > face_metrics.lattice_fraction(clean, 8)   # period 4 divides 8
    odd = clean.copy()
    odd[:, ::5] += 25                        # period 5 is not locked to 4-px tiles: it averages out
    assert face_metrics.lattice_fraction(odd, 4) < 2 * base4


def test_shifting_the_image_does_not_hide_the_pattern():
    lines = natural(2)
    lines[:, ::4] += 25
    shifted = np.roll(lines, (1, 3), axis=(0, 1))
    assert face_metrics.lattice_fraction(shifted, 4) == pytest.approx(face_metrics.lattice_fraction(lines, 4), rel=0.15)


def test_the_report_compares_faces_with_their_photos():
    photos = [np.repeat(natural(s)[..., None], 3, -1).clip(0, 255).astype(np.uint8) for s in range(3)]
    faces = [p.copy() for p in photos]
    for f in faces:
        f[::2, :] = (f[::2, :].astype(int) + 20).clip(0, 255)    # horizontal period-2 stripes
    rep = face_metrics.lattice_report(faces, photos)
    assert set(rep) == {"P2", "P4", "P8"}
    assert rep["P2"]["ratio"] > 5
    same = face_metrics.lattice_report(photos, photos)
    assert all(v["ratio"] == 1.0 for v in same.values())
