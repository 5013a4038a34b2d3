import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "sessions"))        # replica (the raster reference), sketchserver.binary
sys.path.insert(0, str(HERE.parents[1] / "scripts"))     # cluster (PostgreSQL, nodes, HAProxy)
