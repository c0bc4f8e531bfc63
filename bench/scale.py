"""How far one server goes with many workers: a real `leveret server` process and N simulated
workers (bench/_sim_workers.py: real WorkerConnect streams, a runtime that answers at once).

    python bench/scale.py [--workers 10,100,1000] [--inputs 10000] [--containers 10000] [--db sqlite|postgres|URL]

For each N, on a server of its own:
- idle: the server's resident memory before the workers and with them (per worker), and its CPU
  while they only send heartbeats (per heartbeat: the heartbeat handling time, an upper bound);
- inputs: a `.map` of ``--inputs`` trivial inputs from this process: inputs per second through the
  server, the server's CPU seconds and its memory growth per 10,000 inputs, the p99 of the inputs'
  time queued (from queued to sent to a container: the server's leveret_input_queue_seconds);
- placement: a function with min_containers=``--containers``: the time until every container is
  placed on a worker and ready.
Targets (issue): at N = 1,000 >= 10,000 inputs/s, 10,000 containers placed in <= 5 s, <= 100 KiB
per idle worker; the cost per input flat from N = 10 to N = 1,000. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "src"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from procs import free_port, leveret_cmd  # noqa: E402
from _sim_workers import SimulatedWorkers  # noqa: E402

TOKEN = "bench-token"
HEARTBEAT_LEASE_S = 3.0    # --worker-lease: a heartbeat each second
IDLE_S = 5.0
TICKS = os.sysconf("SC_CLK_TCK")


class Server:
    """A `leveret server` process of its own home; its CPU and memory read from /proc."""

    def __init__(self, db: str):
        self.home = tempfile.mkdtemp(prefix="lv-scale-")
        self.port, self.http = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEVERET_")}
        env["LEVERET_HOME"] = self.home
        self.log = open(os.path.join(self.home, "server.log"), "w+")
        db = db if db != "sqlite" else f"sqlite:///{self.home}/state.db"
        self.proc = subprocess.Popen(leveret_cmd(
            "server", "--listen", f"127.0.0.1:{self.port}", "--db", db, "--token", TOKEN,
            "--http", f"127.0.0.1:{self.http}", "--gateway", "127.0.0.1:0",
            "--worker-lease", str(HEARTBEAT_LEASE_S)), env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while "listening on" not in open(self.log.name).read():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"the server did not start: {open(self.log.name).read()[-2000:]}")
            time.sleep(0.1)

    def cpu_s(self) -> float:
        fields = open(f"/proc/{self.proc.pid}/stat").read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / TICKS   # utime + stime (the server's own threads)

    def rss_bytes(self) -> int:
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def metrics(self) -> str:
        req = urllib.request.Request(f"http://127.0.0.1:{self.http}/metrics",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.read().decode()

    def workers(self) -> int:
        return int(_sample(self.metrics(), "leveret_workers_connected") or 0)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.home, ignore_errors=True)


def _sample(text: str, name: str, labels: str = "") -> float | None:
    m = re.search(rf"^{re.escape(name)}(?:{{{labels}[^}}]*}})? ([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else None


def _p99(text: str, name: str) -> float | None:
    """The 99th percentile of a histogram, summed over its series: the upper bound of the bucket it falls in."""
    buckets: dict[float, float] = {}
    for le, value in re.findall(rf'^{re.escape(name)}_bucket{{[^}}]*le="([^"]+)"[^}}]*}} ([0-9.e+-]+)$', text, re.M):
        bound = float("inf") if le == "+Inf" else float(le)
        buckets[bound] = buckets.get(bound, 0.0) + float(value)
    if not buckets:
        return None
    total = buckets[float("inf")]
    for bound in sorted(buckets):
        if buckets[bound] >= 0.99 * total:
            return bound
    return None


def wait_until(what: str, ok, timeout: float) -> float:
    start = time.perf_counter()
    while not ok():
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"waited {timeout:g} s for {what}")
        time.sleep(0.02)
    return time.perf_counter() - start


def one_size(n: int, args) -> dict:
    server = Server(args.db)
    sim = None
    try:
        rss_before = server.rss_bytes()
        per_worker_cpu = max(64.0, args.containers * 0.125 / n * 2)
        sim = SimulatedWorkers(server.url, TOKEN, n, cpu=per_worker_cpu, memory_mb=int(per_worker_cpu * 2048))
        t = time.perf_counter()
        sim.start()
        connect_s = wait_until(f"{n} workers", lambda: server.workers() == n, 120) + (time.perf_counter() - t)
        time.sleep(1.0)
        rss_workers = server.rss_bytes()
        cpu0, beats0 = server.cpu_s(), sim.counters.heartbeats
        time.sleep(IDLE_S)
        idle_cpu, beats = server.cpu_s() - cpu0, sim.counters.heartbeats - beats0

        os.environ.update(LEVERET_SERVER_URL=server.url, LEVERET_TOKEN=TOKEN)
        from leveret import _client

        _client.reset()
        import _scale_app as app_module

        with app_module.app.run(show_logs=False):
            list(app_module.trivial.map(range(100)))   # its container is up: what follows is the steady flow
            cpu0, rss0 = server.cpu_s(), server.rss_bytes()
            t = time.perf_counter()
            results = list(app_module.trivial.map(range(args.inputs)))
            map_s = time.perf_counter() - t
            map_cpu, map_rss = server.cpu_s() - cpu0, server.rss_bytes() - rss0
            assert len(results) == args.inputs
            queue_p99 = _p99(server.metrics(), "leveret_input_queue_seconds")
        placed0 = sim.counters.assigned
        with app_module.many.run(show_logs=False):
            t = time.perf_counter()
            place_s = wait_until(f"{args.containers} containers placed",
                                 lambda: sim.counters.assigned - placed0 >= args.containers, 120)
            place_cpu_t = time.perf_counter() - t
        return {
            "workers": n,
            "connect_s": round(connect_s, 2),
            "idle_rss_per_worker_kib": round((rss_workers - rss_before) / n / 1024, 1),
            "idle_cpu_per_heartbeat_us": round(idle_cpu / max(1, beats) * 1e6, 1),
            "heartbeats_per_s": round(beats / IDLE_S, 1),
            "inputs_per_s": round(args.inputs / map_s),
            "server_cpu_s_per_10k_inputs": round(map_cpu / args.inputs * 10_000, 3),
            "server_rss_growth_per_10k_inputs_kib": round(map_rss / args.inputs * 10_000 / 1024, 1),
            "queue_p99_s": queue_p99,
            "place_containers": args.containers,
            "place_s": round(place_s, 2),
            "place_wall_s": round(place_cpu_t, 2),
        }
    finally:
        if sim is not None:
            sim.stop()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", default="10,100,1000")
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--containers", type=int, default=10_000)
    parser.add_argument("--db", default="sqlite",
                        help="sqlite; postgres (a PostgreSQL of its own, durable, a database per size); or a postgresql:// URL")
    args = parser.parse_args()
    os.environ["LEVERET_SCALE_CONTAINERS"] = str(args.containers)
    pg = None
    if args.db == "postgres":
        from _postgres import start_for_tests

        pg = start_for_tests(durable=True)
    try:
        sizes = []
        for n in args.workers.split(","):
            size_args = argparse.Namespace(**vars(args))
            if pg is not None:
                size_args.db = pg.new_database()
            sizes.append(one_size(int(n), size_args))
    finally:
        if pg is not None:
            pg.stop()
    first, last = sizes[0], sizes[-1]
    print(json.dumps({
        "db": "sqlite" if args.db == "sqlite" else "postgresql (durable: fsync on)",
        "sizes": sizes,
        "cpu_per_input_ratio_last_to_first": round(last["server_cpu_s_per_10k_inputs"]
                                                   / first["server_cpu_s_per_10k_inputs"], 2)
        if first["server_cpu_s_per_10k_inputs"] else None,   # (None: too few inputs for the CPU clock's ticks)
        "targets": {"inputs_per_s": ">= 10000 at N=1000", "place_s": "<= 5 for 10000 containers at N=1000",
                    "idle_rss_per_worker_kib": "<= 100", "cpu_per_input_ratio_last_to_first": "about 1 (flat)"},
    }, indent=2))


if __name__ == "__main__":
    main()
