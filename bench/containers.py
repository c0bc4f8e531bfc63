"""Container cold start beside the raw crun floor, in one run (needs root, crun, tini, mmdebstrap).

    python bench/containers.py [--samples 15]

Prints JSON:
- leveret cold start p50: a new container running a trivial function — the first `.remote()` of a
  fresh app run on a worker with the crun runtime (server and worker are separate processes);
- the floor: `crun run` of a prepared bundle running `python3 -c pass` from the same image root;
- the ratio, against the target of <= 2x.
Image build benchmarks (cached rebuild, debian_slim from scratch) come with the image builder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from _peers import percentile  # noqa: E402
from procs import free_port, leveret_cmd, wait_for_line  # noqa: E402


def crun_floor(samples: int) -> list[float]:
    """Milliseconds of `crun run` for a prepared bundle running `python3 -c pass`."""
    from leveret.worker.images.base import default_rootfs
    from leveret.worker.runtime.base import ContainerSpec
    from leveret.worker.runtime.oci import OciRuntime, oci_config

    work = tempfile.mkdtemp(prefix="lv-floor-")
    runtime = OciRuntime("crun", work)
    lower = default_rootfs()
    times = []
    try:
        for i in range(samples):
            bundle = os.path.join(work, f"b{i}")
            dirs = [os.path.join(bundle, d) for d in ("rootfs", "upper", "work")]
            for d in dirs:
                os.makedirs(d)
            subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                            f"lowerdir={lower},upperdir={dirs[1]},workdir={dirs[2]}", dirs[0]], check=True)
            spec = ContainerSpec(f"floor-{i}", ["python3", "-c", "pass"], {}, "/")
            with open(os.path.join(bundle, "config.json"), "w") as f:
                json.dump(oci_config(spec, [], f"/leveret-floor/c{i}"), f)
            t = time.perf_counter()
            subprocess.run(runtime.command("run", "--bundle", bundle, f"floor-{i}"), check=True)
            times.append((time.perf_counter() - t) * 1000)
            subprocess.run(["umount", dirs[0]], check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return times


def leveret_cold_starts(samples: int) -> list[float]:
    home = tempfile.mkdtemp(prefix="lv-bench-")
    port, token = free_port(), "bench-token"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEVERET_")}
    env.update(LEVERET_HOME=home)
    server = subprocess.Popen(leveret_cmd("server", "--listen", f"127.0.0.1:{port}", "--db", f"sqlite:///{home}/state.db",
                                          "--token", token), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    worker = None
    try:
        wait_for_line(server, "listening on")
        worker = subprocess.Popen(leveret_cmd("worker", "--server", f"http://127.0.0.1:{port}", "--token", token,
                                              "--runtime", "crun", "--workdir", f"{home}/worker"),
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_for_line(worker, "runtime")
        os.environ.update(LEVERET_SERVER_URL=f"http://127.0.0.1:{port}", LEVERET_TOKEN=token)
        from _bench_app import app, trivial

        with app.run(show_logs=False):   # builds the default image on first use, outside the samples
            trivial.remote(0)
        times = []
        for _ in range(samples):
            with app.run(show_logs=False):
                t = time.perf_counter()
                trivial.remote(1)
                times.append((time.perf_counter() - t) * 1000)
        return times
    finally:
        for p in (worker, server):
            if p is not None:
                p.send_signal(signal.SIGTERM)
                p.wait(15)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=15)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/containers.py needs root (crun, overlayfs, cgroups)")
    floor = crun_floor(args.samples)
    ours = leveret_cold_starts(args.samples)
    result = {
        "cold_start_p50_ms": percentile(ours, 50),
        "crun_floor_p50_ms": percentile(floor, 50),
        "ratio": percentile(ours, 50) / percentile(floor, 50),
        "target": "ratio <= 2",
        "samples_ms": {"leveret": [round(x, 1) for x in ours], "crun_floor": [round(x, 1) for x in floor]},
        "not_measured_yet": ["cached image rebuild (needs the image builder)", "debian_slim build vs mmdebstrap"],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
