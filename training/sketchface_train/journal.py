"""What a training job leaves in its run directory: a log, a loss history + plot, atomic checkpoints.

Also the small device/precision choices every job shares (CUDA when present, bf16 autocast on request).
"""
import contextlib
import json
import os
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = str((REPO / ".." / "shared" / "data" / "faces-5k").resolve())
DEFAULT_RUN = str(REPO / "runs" / "default")   # ignored by git: caches, checkpoints, logs


def pick_device(name="auto"):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def setup_threads(threads):
    if threads > 0:
        torch.set_num_threads(threads)


def autocast(device, bf16):
    if not bf16:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def parse_ids(spec):
    """'0:4500' → range(0, 4500); '0:8,4500:4504' → both ranges."""
    out = []
    for part in spec.split(","):
        a, _, b = part.partition(":")
        out.extend(range(int(a), int(b)) if b else [int(a)])
    return out


class Journal:
    """Log lines, loss rows (JSONL) and a loss plot for one job (`name`) in a run directory."""

    def __init__(self, run, name):
        self.dir = Path(run)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = self.dir / f"{name}.log"
        self.loss_path = self.dir / f"{name}.losses.jsonl"

    def log(self, msg):
        line = time.strftime("%Y-%m-%d %H:%M:%S ") + msg
        try:
            from tqdm import tqdm
            tqdm.write(line)
        except ImportError:
            print(line, flush=True)
        with open(self.log_path, "a") as f:
            f.write(line + "\n")

    def record(self, step, **values):
        with open(self.loss_path, "a") as f:
            f.write(json.dumps({"step": step, **{k: round(float(v), 6) for k, v in values.items()}}) + "\n")

    def history(self):
        if not self.loss_path.exists():
            return []
        return [json.loads(l) for l in self.loss_path.read_text().splitlines() if l.strip()]

    def truncate_after(self, step):
        """On resume, forget loss rows written after the checkpoint being resumed."""
        rows = [r for r in self.history() if r["step"] <= step]
        self.loss_path.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def plot(self):
        rows = self.history()
        if not rows:
            return
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        keys = [k for k in rows[-1] if k != "step"]
        fig, axes = plt.subplots(len(keys), 1, figsize=(7, 1.8 * len(keys)), sharex=True, squeeze=False)
        for ax, k in zip(axes[:, 0], keys):
            pts = [(r["step"], r[k]) for r in rows if k in r]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], lw=0.8)
            ax.set_ylabel(k, fontsize=8)
        axes[-1, 0].set_xlabel("step")
        fig.tight_layout()
        tmp = self.dir / f".{self.name}.losses.png"
        fig.savefig(tmp, dpi=80, format="png")
        plt.close(fig)
        os.replace(tmp, self.dir / f"{self.name}.losses.png")


def save_checkpoint(path, state):
    """torch.save to a temporary name, then rename: a crash never leaves a half-written checkpoint."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, device="cpu"):
    return torch.load(path, map_location=device, weights_only=False)
