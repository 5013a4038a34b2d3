"""Starts the real `sketchface` binary for integration tests and benchmarks (loopback, ephemeral port)."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def binary(configuration="debug"):
    """Path of the built `sketchface` (builds it when missing)."""
    args = ["swift", "build", "-c", configuration, "--product", "sketchface"]
    out = subprocess.run(["swift", "build", "-c", configuration, "--show-bin-path"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    path = Path(out) / "sketchface"
    if not path.exists():
        subprocess.run(args, cwd=ROOT, check=True)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Every test client connects from 127.0.0.1, so the per-address budgets (sized for one real client) would
# count a whole test run as one client: tests lift them and pin them in their own tests.
TEST_LIMITS = {"session_creations_per_minute": 100000, "max_connections_per_address": 4096}

class SketchServer:
    """One server process over a data directory; `restart()` keeps the directory and port."""

    def __init__(self, data_dir, sessions=None, configuration="debug", port=None):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.exe = binary(configuration)
        self.config_path = self.data_dir / "test-config.json"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Sessions tests run without guidance: no model load per start, no binary shadow/face messages.
        config = {"sessions": sessions or {}, "logging": {"level": "warning"}, "guidance": {"enabled": False},
                  "limits": TEST_LIMITS}
        self.config_path.write_text(json.dumps(config))
        self.proc = None
        self.log = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self):
        return f"ws://127.0.0.1:{self.port}"

    def start(self):
        self.log = open(self.data_dir / "server.log", "ab")
        self.proc = subprocess.Popen(
            [str(self.exe), "serve", "--config", str(self.config_path), "--http", f"127.0.0.1:{self.port}",
             "--https", "off", "--data-dir", str(self.data_dir / "state"), "--web-root", str(ROOT / "web")],
            cwd=ROOT, stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.logs()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start listening")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()
        if self.log:
            self.log.close()

    def restart(self):
        self.start()

    def logs(self):
        return (self.data_dir / "server.log").read_text(errors="replace")

    def rss_kib(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def new_session(self):
        """Creates a session through `POST /new` (as the landing page's button does); returns its id."""
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(urllib.request.Request(self.base + "/new", data=b"", method="POST"), timeout=10)
        except urllib.error.HTTPError as e:
            if e.code != 303:
                raise
            return e.headers["Location"].rsplit("/", 1)[1]
        raise AssertionError("/new did not redirect")

    def sketch_pgm(self, session):
        with urllib.request.urlopen(f"{self.base}/s/{session}/sketch.pgm", timeout=10) as r:
            data = r.read()
        header = b"P5\n512 512\n255\n"
        assert data.startswith(header)
        return data[len(header):]
