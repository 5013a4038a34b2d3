import sys
from pathlib import Path

import pytest

TRAINING = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TRAINING))

from sketchface_train.journal import DEFAULT_DATA  # noqa: E402


@pytest.fixture(scope="session")
def data_dir():
    d = Path(DEFAULT_DATA)
    if not (d / "images" / "0.jpg").exists():
        pytest.fail(f"dataset not found at {d} (../shared/data/faces-5k relative to the repo root)")
    return d


@pytest.fixture(autouse=True)
def v1_layout():
    """Jobs install their model's box layout in `geometry`; every test starts from the version 1 layout."""
    from sketchface_train import geometry
    geometry.use_boxes(geometry.V1_BOXES)
    yield
    geometry.use_boxes(geometry.V1_BOXES)
