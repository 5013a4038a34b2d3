import numpy as np

from sketchface_train import projection


def db(n=30, d=16, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d))


def test_weights_sum_to_one():
    lat = db()
    z = np.random.default_rng(1).standard_normal(16)
    _, ids, w, _ = projection.project(z, lat, 10, 1e-3)
    assert len(ids) == 10 and abs(w.sum() - 1) < 1e-12


def test_projection_reconstructs_a_database_point_exactly():
    lat = db()
    final, ids, w, p = projection.project(lat[7], lat, 5, 1e-3)
    assert ids[0] == 7 and abs(w[0] - 1) < 1e-9
    assert np.allclose(p, lat[7], atol=1e-9) and np.allclose(final, lat[7], atol=1e-9)


def test_slider_zero_returns_the_raw_latent_and_one_the_projection():
    lat = db()
    z = np.random.default_rng(2).standard_normal(16)
    raw, _, _, p = projection.project(z, lat, 6, 1e-3, s=0.0)
    assert np.array_equal(raw, z)
    full, _, _, _ = projection.project(z, lat, 6, 1e-3, s=1.0)
    half, _, _, _ = projection.project(z, lat, 6, 1e-3, s=0.5)
    assert np.allclose(full, p) and np.allclose(half, 0.5 * p + 0.5 * z)


def test_knn_orders_ascending_and_breaks_ties_by_lower_index():
    lat = np.array([[3.0, 0], [1.0, 0], [0, 1.0], [-1.0, 0], [2.0, 0]])
    ids, d = projection.knn(np.zeros(2), lat, 4)
    assert ids.tolist() == [1, 2, 3, 4] and d.tolist() == [1, 1, 1, 4]


def test_latent_equal_to_its_nearest_row_puts_all_weight_there():
    lat = np.zeros((4, 3))
    w = projection.lle_weights(np.zeros(3), lat[:3], 1e-3)
    assert w.tolist() == [1.0, 0.0, 0.0]


def test_shadow_blends_nearest_crops_by_inverse_distance():
    lat = np.array([[0.0], [1.0], [3.0]])
    crops = np.array([np.full((2, 2), 0), np.full((2, 2), 255), np.full((2, 2), 0)], np.uint8)
    alpha = projection.shadow(np.array([0.0]), lat, crops, 2)
    assert alpha.dtype == np.uint8 and (alpha == 255).all()     # distance 0 dominates completely
    alpha = projection.shadow(np.array([0.5]), lat, crops, 2)
    assert (alpha == 128).all()                                  # equal distances: half of 255, rounded up
