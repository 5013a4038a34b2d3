"""A local SketchFace cluster: PostgreSQL, three nodes and HAProxy on loopback (docs/SCALING.md).

`make cluster` runs `python scripts/cluster.py` (PostgreSQL on 5433, nodes on 8081-8083 from Config/node-N.json,
HAProxy on 127.0.0.1:8080 from Config/haproxy.cfg) until Ctrl-C. The cluster tests and bench/cluster build the
same thing on free ports through `Cluster`.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url, timeout=1.0):
    """The status of GET `url`, or None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def end(proc, timeout=10):
    """Stops a child process: SIGCONT (it may be paused), SIGTERM, SIGKILL when it is still there after `timeout` s."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGCONT)
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def new_session(base):
    """Creates a session with `POST /new` on `base` (a node or the proxy); returns its id."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    try:
        urllib.request.build_opener(NoRedirect).open(urllib.request.Request(base + "/new", data=b"", method="POST"), timeout=10)
    except urllib.error.HTTPError as e:
        if e.code == 303:
            return e.headers["Location"].rsplit("/", 1)[1]
        raise
    raise RuntimeError("/new did not redirect")


def wait_until(predicate, timeout, what, state=lambda: ""):
    """Polls `predicate` until it holds; the error names `what` and the `state()` it ended in."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what} {state()}")


class Postgres:
    """A throw-away PostgreSQL server in its own directory, run as `nobody` when we are root (it refuses root)."""

    def __init__(self, port):
        self.port = port
        # Its own directory outside pytest's (root-only) temporary tree, so `nobody` can reach it.
        self.dir = Path(tempfile.mkdtemp(prefix="sketchface-pg-"))
        self.dir.chmod(0o755)
        self.data = self.dir / "data"
        self.as_user = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []

    @property
    def dsn(self):
        return f"host=127.0.0.1 port={self.port} user=sketchface dbname=sketchface connect_timeout=2"

    def _run(self, *args):
        subprocess.run(self.as_user + [str(a) for a in args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self):
        if not self.data.exists():
            self.data.mkdir()
            if self.as_user:
                shutil.chown(self.dir, "nobody")
                shutil.chown(self.data, "nobody")
            self._run(PG_BIN / "initdb", "-D", self.data, "-U", "sketchface", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.dir / "postgres.log", "-w", "start")
        subprocess.run(self.as_user + [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "sketchface",
                                       "sketchface"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def stop(self, mode="fast"):
        if (self.data / "postmaster.pid").exists():
            subprocess.run(self.as_user + [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def remove(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


class Node:
    """One `sketchface serve` process configured from Config/node-<index>.json, on `port`, over PostgreSQL."""

    def __init__(self, index, port, dsn, binary, state_dir, guidance=False, lease_seconds=None, log_level="info"):
        self.index, self.port, self.binary = index, port, binary
        self.id = f"node-{index}"
        self.dir = Path(state_dir) / self.id
        self.dir.mkdir(parents=True, exist_ok=True)
        config = json.loads((ROOT / "Config" / f"node-{index}.json").read_text())
        config["listeners"]["http"] = f"127.0.0.1:{port}"
        config["server"]["data_dir"] = str(self.dir / "state")
        config["server"]["web_root"] = str(ROOT / "web")
        config.setdefault("guidance", {})["enabled"] = guidance
        config.setdefault("logging", {})["level"] = log_level
        storage = config.setdefault("storage", {})
        storage["postgresql"] = dsn
        if lease_seconds is not None:
            storage["lease_seconds"] = lease_seconds
        self.config_path = self.dir / "config.json"
        self.config_path.write_text(json.dumps(config, indent=2))
        self.proc = None
        self.log = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait=True):
        self.log = open(self.dir / "server.log", "ab")
        self.proc = subprocess.Popen([str(self.binary), "serve", "--config", str(self.config_path)], cwd=ROOT,
                                     stdout=self.log, stderr=self.log)
        if wait:
            self.wait_healthy()
        return self

    def wait_healthy(self, timeout=30):
        def healthy():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.id} exited with {self.proc.returncode}: {self.logs()[-2000:]}")
            return http_status(self.base + "/healthz") == 200
        wait_until(healthy, timeout, f"{self.id} /healthz")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stopped(self):
        """True once every thread of the process is stopped. A SIGSTOP takes effect asynchronously: until one of
        its threads is scheduled and acts on it, the others keep running (on a loaded machine, for milliseconds)."""
        states = []
        for stat in Path(f"/proc/{self.proc.pid}/task").glob("*/stat"):
            try:
                states.append(stat.read_text().rpartition(")")[2].split()[0])
            except (OSError, IndexError):
                pass          # a thread that ended meanwhile
        return bool(states) and all(state in ("T", "t") for state in states)

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        end(self.proc)
        if self.log:
            self.log.close()
            self.log = None

    def logs(self):
        path = self.dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


class Proxy:
    """HAProxy from Config/haproxy.cfg, its frontend and node addresses rewritten to the given ports."""

    def __init__(self, port, node_ports, state_dir):
        self.port = port
        text = (ROOT / "Config" / "haproxy.cfg").read_text()
        text = text.replace("bind 127.0.0.1:8080", f"bind 127.0.0.1:{port}")
        for index, node_port in node_ports.items():
            text = re.sub(rf"(server node-{index} )127\.0\.0\.1:\d+", rf"\g<1>127.0.0.1:{node_port}", text)
        # Nodes the cluster does not run are left out (a smaller cluster).
        text = "".join(line for line in text.splitlines(keepends=True)
                       if not (m := re.match(r"\s*server node-(\d+) ", line)) or int(m.group(1)) in node_ports)
        self.config_path = Path(state_dir) / "haproxy.cfg"
        self.config_path.write_text(text)
        self.log_path = Path(state_dir) / "haproxy.log"
        self.proc = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", str(self.config_path)], stdout=self.log, stderr=self.log)
        wait_until(lambda: http_status(self.base + "/healthz") == 200, 20, "HAProxy")
        return self

    def stop(self):
        end(self.proc)
        self.log.close()


class Cluster:
    """PostgreSQL, nodes 1..count and HAProxy, all on loopback; `close()` stops and removes everything."""

    def __init__(self, binary, state_dir, count=3, guidance=False, lease_seconds=None, ports=None, log_level="info"):
        ports = ports or {"proxy": free_port(), "postgres": free_port(), **{i: free_port() for i in range(1, count + 1)}}
        self.state_dir = Path(state_dir)
        self.postgres = Postgres(ports["postgres"])
        self.nodes = {i: Node(i, ports[i], self.postgres.dsn, binary, state_dir, guidance, lease_seconds, log_level)
                      for i in range(1, count + 1)}
        self.proxy = Proxy(ports["proxy"], {i: ports[i] for i in self.nodes}, state_dir)

    def start(self):
        self.postgres.start()
        for node in self.nodes.values():
            node.start(wait=False)
        for node in self.nodes.values():
            node.wait_healthy()
        self.proxy.start()
        return self

    def close(self):
        for stop in [self.proxy.stop, *(n.stop for n in self.nodes.values()), self.postgres.remove]:
            try:
                stop()
            except Exception as error:   # keep stopping the rest
                print(f"cluster: stopping: {error}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(ROOT / ".build/release/sketchface"))
    parser.add_argument("--no-guidance", action="store_true", help="nodes without the face model (less CPU)")
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="sketchface-cluster-"))
    ports = {"proxy": 8080, "postgres": 5433, 1: 8081, 2: 8082, 3: 8083}
    cluster = Cluster(args.binary, state, guidance=not args.no_guidance, ports=ports)
    stop = {"now": False}
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        cluster.start()
        print(f"cluster: PostgreSQL 127.0.0.1:5433, nodes 127.0.0.1:8081-8083, logs in {state}")
        print("cluster: open http://127.0.0.1:8080/  (Ctrl-C stops everything)", flush=True)
        reported = set()
        while not stop["now"]:
            for node in cluster.nodes.values():
                if node.proc.poll() is not None and node.id not in reported:
                    reported.add(node.id)
                    print(f"cluster: {node.id} exited ({node.proc.returncode}); see {node.dir}/server.log", flush=True)
            time.sleep(0.5)
    finally:
        print("cluster: stopping", flush=True)
        cluster.close()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
