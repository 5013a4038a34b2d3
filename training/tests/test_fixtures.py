from pathlib import Path

from sketchface_train import fixtures

TINY = Path(__file__).resolve().parents[2] / "Tests/FaceModelTests/Fixtures/tiny"
FILES = ("manifest.json", "weights.safetensors", "database.safetensors", "golden.safetensors",
         "appearance-golden.safetensors")


def test_fixtures_command_regenerates_the_committed_tiny_model_byte_identically(tmp_path):
    fixtures.main(fixtures.Config(out=str(tmp_path)))
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (TINY / name).read_bytes(), name


def test_tiny_fixture_files_stay_under_one_megabyte():
    assert sum((TINY / n).stat().st_size for n in FILES) < 1_000_000
