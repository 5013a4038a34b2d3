import numpy as np
import pytest
import torch

from sketchface_train import geometry


def test_boxes_scale_with_floor_rule():
    assert geometry.BY_NAME["left_eye"].box_at(64) == (13, 19, 16)     # 108/8 = 13.5 → 13, 156/8 = 19.5 → 19
    assert geometry.BY_NAME["right_eye"].box_at(64) == (31, 19, 16)    # 255/8 = 31.875 → 31
    assert geometry.BY_NAME["mouth"].box_at(256) == (84, 150, 96)      # 169/2 = 84.5 → 84, 301/2 → 150
    assert geometry.BY_NAME["nose"].box_at(512) == (182, 232, 160)
    assert geometry.BY_NAME["remainder"].box_at(256) == (0, 0, 256)


def test_downsample_rounds_half_up_per_block():
    canvas = np.full((512, 512), 255, np.uint8)
    canvas[0, 0] = 0        # block (0,0) at f=2: (0 + 3·255 + 2) // 4 = 191
    canvas[0:2, 2:4] = [[0, 1], [0, 1]]   # sum 2 → (2 + 2) // 4 = 1 (exactly half rounds up)
    small = geometry.downsample(canvas, 256)
    assert small.shape == (256, 256) and small.dtype == np.uint8
    assert small[0, 0] == 191 and small[0, 1] == 1 and small[1, 1] == 255


def test_downsample_at_full_resolution_is_identity():
    canvas = np.random.default_rng(0).integers(0, 256, (512, 512), dtype=np.uint8)
    assert np.array_equal(geometry.downsample(canvas, 512), canvas)


def test_crops_have_box_sides_and_remainder_blanks_parts():
    small = np.zeros((64, 64), np.uint8)
    crops = geometry.crops(small)
    assert {n: c.shape for n, c in crops.items()} == {
        "left_eye": (16, 16), "right_eye": (16, 16), "nose": (20, 20), "mouth": (24, 24), "remainder": (64, 64)}
    rem = crops["remainder"]
    assert (rem[19:35, 13:29] == 255).all() and (rem[37:61, 21:45] == 255).all()
    assert rem[0, 0] == 0 and rem[63, 63] == 0


def test_crop_takes_the_window_at_the_scaled_box():
    small = np.arange(256 * 256, dtype=np.int64).reshape(256, 256) % 251
    c = geometry.crop(small.astype(np.uint8), "nose")
    assert np.array_equal(c, small[116:116 + 80, 91:91 + 80].astype(np.uint8))


def test_input_and_output_normalisation():
    x = geometry.to_input(np.array([[0, 255]], np.uint8))
    assert x.shape == (1, 1, 2) and x[0, 0, 0] == -1 and x[0, 0, 1] == 1
    img = geometry.to_u8_image(torch.tensor([-2.0, -1.0, 0.0, 1 / 255, 1.0, 3.0]))
    assert img.tolist() == [0, 0, 128, 128, 255, 255]   # 127.5 rounds half up; 128.0 stays


def test_resolution_must_divide_the_canvas_by_a_power_of_two():
    geometry.check_resolution(256)
    with pytest.raises(ValueError):
        geometry.check_resolution(384)


def test_v2_boxes_sit_on_even_coordinates_at_every_model_resolution():
    """Multiples of 8 on the canvas: even at 512, 256 and 128 (an odd offset turned a blob into hatching)."""
    from sketchface_train.fixtures import BOXES
    geometry.use_boxes(BOXES)
    for r in (512, 256, 128):
        for c in geometry.COMPONENTS:
            x, y, s = c.box_at(r)
            assert x % 2 == 0 and y % 2 == 0 and s % 2 == 0, (c.name, r, (x, y, s))


def test_v2_eye_boxes_mirror_about_the_face_axis():
    from sketchface_train.appearance import derive_boxes
    cents = [{"left_eye": (194.0, 244.0, 900), "right_eye": (318.0, 245.0, 900), "nose": (255.0, 295.0, 4000),
              "mouth": (255.0, 384.0, 3000)}]
    boxes, stats = derive_boxes(cents)
    axis = 256
    le, re = boxes["left_eye"], boxes["right_eye"]
    assert le[0] + le[2] / 2 - axis == -(re[0] + re[2] / 2 - axis) and le[1] == re[1]
    assert all(v % 8 == 0 for b in boxes.values() for v in b)
    assert abs(le[0] + 64 - 194) <= 8 and abs(boxes["mouth"][1] + 96 - 384) <= 4


def test_use_boxes_refuses_a_layout_missing_a_component():
    import pytest
    with pytest.raises(ValueError, match="boxes must name"):
        geometry.use_boxes({"left_eye": (0, 0, 8)})
