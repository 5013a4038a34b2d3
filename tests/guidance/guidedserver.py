"""The real `sketchface` server with a face model, for guidance tests and the guidance benchmark."""
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sessions"))

from sketchserver import ROOT, TEST_LIMITS, SketchServer  # noqa: E402

TINY_MODEL = ROOT / "Tests" / "FaceModelTests" / "Fixtures" / "tiny"
DEFAULT_MODEL = ROOT / "models" / "default"


def model_path(prefer=None):
    """The model to serve: `prefer` if given, else $SKETCHFACE_GUIDANCE_MODEL, else models/default when it
    exists, else the tiny test export."""
    if prefer:
        return Path(prefer)
    if os.environ.get("SKETCHFACE_GUIDANCE_MODEL"):
        return Path(os.environ["SKETCHFACE_GUIDANCE_MODEL"])
    if (DEFAULT_MODEL / "manifest.json").exists():
        return DEFAULT_MODEL
    return TINY_MODEL


def guided_server(data_dir, model=None, configuration="debug", guidance=None, sessions=None, log_level="warning"):
    """A started-ready (not yet started) SketchServer whose config loads `model` and the guidance section."""
    server = SketchServer(data_dir, sessions=sessions, configuration=configuration)
    config = {
        "sessions": sessions or {},
        "logging": {"level": log_level},
        "model": {"path": str(model_path(model))},
        "guidance": guidance or {},
        "limits": TEST_LIMITS,
    }
    server.config_path.write_text(json.dumps(config))
    return server


SHADOW, FRAME, HEADER = 0x01, 0x02, 16


def decode(message):
    """Parses a binary guidance message: ('shadow', component, (x, y, side), seq, png) or ('frame', seq, number, default, png)."""
    kind = message[0]
    if kind == SHADOW:
        box = tuple(int.from_bytes(message[i:i + 2], "big") for i in (2, 4, 6))
        return ("shadow", message[1], box, int.from_bytes(message[8:16], "big"), bytes(message[HEADER:]))
    if kind == FRAME:
        return ("frame", int.from_bytes(message[8:16], "big"), int.from_bytes(message[4:8], "big"),
                bool(message[1] & 1), bytes(message[HEADER:]))
    return None
