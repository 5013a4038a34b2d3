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
