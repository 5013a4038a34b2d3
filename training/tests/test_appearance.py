"""The region map: where each appearance region reliably is in an aligned photo, and the code it gives a photo."""
import numpy as np
import pytest

from sketchface_train import appearance as ap


def test_a_pixel_belongs_to_the_cell_holding_its_centre():
    assert ap.pixel_cells(512, 64).tolist() == [i // 8 for i in range(512)]
    # 10 pixels over 4 cells: centres 0.5 … 9.5 px, cell width 2.5 px (a centre on a border: the later cell)
    assert ap.pixel_cells(10, 4).tolist() == [0, 0, 1, 1, 1, 2, 2, 3, 3, 3]
    assert ap.pixel_cells(4, 4).tolist() == [0, 1, 2, 3]


def test_code_is_the_mean_colour_of_each_regions_cells_and_the_fallback_without_cells():
    rows = ["0.", "01"]                       # region 0: 2 cells, region 1: 1 cell, region 2: none
    photo = np.zeros((4, 4, 3), np.uint8)
    photo[:2, :2] = (255, 0, 10)              # cell (0, 0)
    photo[2:, :2] = (0, 255, 20)              # cell (1, 0)
    photo[2:, 2:] = (51, 102, 30)             # cell (1, 1)
    photo[:2, 2:] = (200, 200, 200)           # cell (0, 1): no region, ignored
    fallback = [0.5, 0.5, 0.5, 0.25, 0.25, 0.25, -0.5, -0.25, 0.75]
    code = ap.code_from_photo(photo, rows, fallback)
    assert code.dtype == np.float32
    want0 = np.array([255 + 0, 0 + 255, 10 + 20]) / 2 / 127.5 - 1
    np.testing.assert_array_equal(code[:3], want0.astype(np.float32))
    np.testing.assert_array_equal(code[3:6], (np.array([51, 102, 30]) / 127.5 - 1).astype(np.float32))
    np.testing.assert_array_equal(code[6:], np.float32(fallback[6:]))


def test_a_photo_of_any_square_size_reads_the_same_cells_at_its_own_scale():
    rng = np.random.default_rng(0)
    cell = rng.integers(0, 256, (4, 4, 3)).astype(np.uint8)
    rows = ["0011", "0.11", "2222", "...."]
    fallback = [0.0] * 9
    big = np.repeat(np.repeat(cell, 128, 0), 128, 1)      # 512²: each cell one flat colour
    small = np.repeat(np.repeat(cell, 5, 0), 5, 1)        # 20²
    np.testing.assert_allclose(ap.code_from_photo(big, rows, fallback), ap.code_from_photo(small, rows, fallback),
                               atol=1e-6)


def test_a_photo_that_is_not_square_rgb_or_smaller_than_the_grid_is_refused():
    rows = ["0" * 8] * 8
    with pytest.raises(ValueError, match="square RGB"):
        ap.code_from_photo(np.zeros((8, 9, 3), np.uint8), rows, [0.0] * 3)
    with pytest.raises(ValueError, match="square RGB"):
        ap.code_from_photo(np.zeros((8, 8), np.uint8), rows, [0.0] * 3)
    with pytest.raises(ValueError, match="at least 8×8"):
        ap.code_from_photo(np.zeros((7, 7, 3), np.uint8), rows, [0.0] * 3)


def test_region_map_keeps_the_cells_a_region_covers_on_average_at_least_the_threshold():
    labels = np.zeros((512, 512), np.uint8)               # background…
    labels[128:384, 128:384] = 1                           # …a skin square…
    labels[128:192, 128:384] = 13                          # …with hair on its top quarter
    cov = ap.coverage(labels)
    assert cov.shape == (len(ap.REGIONS), 64, 64) and np.allclose(cov.sum(0), 1)
    half = cov.copy()
    half[:, :, :] = (cov + ap.coverage(np.zeros((512, 512), np.uint8))) / 2   # a second photo: all background
    rows = ap.region_map(half, 0.75)
    assert rows[0] == "0" * 64 and rows[20] == "0" * 16 + "." * 32 + "0" * 16
    assert set(ap.region_map(cov, 0.75)[30][16:48]) == {"1"} and set(ap.region_map(cov, 0.75)[20][16:48]) == {"2"}
    coarse = ap.pool(cov, 32)
    assert coarse.shape == (len(ap.REGIONS), 32, 32) and np.allclose(coarse[2, 8, 8], 1)
