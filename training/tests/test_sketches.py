import numpy as np
import pytest

from sketchface_train import data, sketches, synthetic


@pytest.fixture(scope="module")
def pair(data_dir):
    return data.load_pair(data_dir, 0)


def test_synthesized_sketch_is_black_lines_on_white(pair):
    s = sketches.synthesize(*pair)
    assert s.shape == (512, 512) and s.dtype == np.uint8
    assert set(np.unique(s).tolist()) == {0, 255}
    assert 0.01 < (s == 0).mean() < 0.2


def test_sketch_contains_the_label_outlines(pair):
    photo, labels = pair
    s = sketches.synthesize(photo, labels)
    out = sketches.outlines(labels)
    assert (s[out] == 0).mean() > 0.95


def test_lines_are_two_to_three_pixels_wide(pair):
    s = sketches.synthesize(*pair) == 0
    from scipy import ndimage
    # a 2-px pen over 1-px skeletons: little survives a 4×4 erosion, almost nothing a 5×5 (only junctions)
    assert ndimage.binary_erosion(s, np.ones((4, 4))).sum() < 0.06 * s.sum()
    assert ndimage.binary_erosion(s, np.ones((5, 5))).sum() < 0.02 * s.sum()


def test_thinning_reduces_a_thick_bar_to_a_line():
    bar = np.zeros((20, 40), bool)
    bar[8:13, 5:35] = True
    t = sketches.thin(bar)
    assert 0 < t.sum() <= 32 and t[:, 10:30].sum(axis=0).max() == 1


@pytest.mark.parametrize("severity", [1, 2, 3])
def test_degrade_keeps_shape_and_values_and_grows_with_severity(severity):
    clean = synthetic.face(3)
    rough = sketches.degrade(clean, severity, np.random.default_rng(0))
    assert rough.shape == clean.shape and rough.dtype == np.uint8
    assert not np.array_equal(rough, clean)


def test_higher_severity_changes_more_ink():
    clean = synthetic.face(5)
    diff = [np.mean([np.abs(sketches.degrade(clean, s, np.random.default_rng(k)).astype(int) - clean).mean()
                     for k in range(3)]) for s in (1, 2, 3)]
    assert diff[0] < diff[1] < diff[2]


def test_severity_zero_is_the_clean_sketch():
    clean = synthetic.face(1)
    assert np.array_equal(sketches.degrade(clean, 0, np.random.default_rng(0)), clean)


def test_degrade_works_at_model_resolution():
    from sketchface_train import geometry
    small = geometry.downsample(synthetic.face(2), 256)
    assert sketches.degrade(small, 2, np.random.default_rng(0)).shape == (256, 256)
