from pathlib import Path

from sketchface_train import fixtures

TINY = Path(__file__).resolve().parents[2] / "Tests/FaceModelTests/Fixtures/tiny"
PROJECTED = TINY.with_name("tiny-projected")
BILINEAR = TINY.with_name("bilinear-golden.safetensors")
FILES = ("manifest.json", "weights.safetensors", "database.safetensors", "golden.safetensors")


def test_fixtures_command_regenerates_the_committed_fixtures_byte_identically(tmp_path):
    fixtures.main(fixtures.Config(out=str(tmp_path / "tiny"), projected_out=str(tmp_path / "projected"),
                                  bilinear_out=str(tmp_path / BILINEAR.name)))
    for name in FILES:
        assert (tmp_path / "tiny" / name).read_bytes() == (TINY / name).read_bytes(), name
        assert (tmp_path / "projected" / name).read_bytes() == (PROJECTED / name).read_bytes(), name
    name = "appearance-golden.safetensors"   # the region map's photo codes: the tiny model only
    assert (tmp_path / "tiny" / name).read_bytes() == (TINY / name).read_bytes(), name
    assert (tmp_path / BILINEAR.name).read_bytes() == BILINEAR.read_bytes(), BILINEAR.name


def test_tiny_fixture_files_stay_under_one_megabyte():
    assert sum((TINY / n).stat().st_size for n in FILES + ("appearance-golden.safetensors",)) < 1_000_000


def test_the_projected_variant_shares_the_networks_and_database():
    for name in ("weights.safetensors", "database.safetensors"):
        assert (PROJECTED / name).read_bytes() == (TINY / name).read_bytes(), name
