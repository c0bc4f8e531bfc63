"""Leveret's hot path beside its floor (multiprocessing.Pool(2)) and its peer (Ray), in one run.

    python bench/hot_path.py [--calls 500] [--map 10000] [--no-ray]

Prints JSON: warm .remote() round trip p50/p99, .map throughput, cold start of a new function's
first container, and `leveret run examples/hello.py` wall time with a warm daemon, with the
targets as ratios against the peer measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from _peers import measure_pool, measure_ray, percentile  # noqa: E402

COLD_SAMPLES = 7
HELLO_SAMPLES = 5


def measure_leveret(calls: int, map_n: int) -> dict:
    import leveret  # noqa: F401  (after LEVERET_HOME is set)
    from _bench_app import app, trivial

    with app.run(show_logs=False):
        for i in range(50):
            trivial.remote(i)
        samples = []
        for i in range(calls):
            t = time.perf_counter()
            trivial.remote(i)
            samples.append((time.perf_counter() - t) * 1000)
        list(trivial.map(range(1000)))  # warm the map path
        t = time.perf_counter()
        out = list(trivial.map(range(map_n)))
        map_s = time.perf_counter() - t
        assert out[-1] == (map_n - 1) ** 2
    cold = []
    for _ in range(COLD_SAMPLES):
        with app.run(show_logs=False):
            t = time.perf_counter()
            trivial.remote(1)
            cold.append((time.perf_counter() - t) * 1000)
    return {
        "roundtrip_p50_ms": percentile(samples, 50),
        "roundtrip_p99_ms": percentile(samples, 99),
        "map_per_s": map_n / map_s,
        "cold_start_p50_ms": percentile(cold, 50),
    }


def measure_hello() -> dict:
    walls = []
    for _ in range(HELLO_SAMPLES):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "leveret.cli", "run", os.path.join(ROOT, "examples", "hello.py")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append((time.perf_counter() - t) * 1000)
    return {"wall_p50_ms": percentile(walls, 50), "samples_ms": [round(w, 1) for w in walls]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--map", type=int, default=10_000)
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray peer (it installs Ray into its own venv)")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="leveret-bench-")
    os.environ["LEVERET_HOME"] = home
    from leveret import _daemon

    try:
        _daemon.ensure_running()
        result = {"leveret": measure_leveret(args.calls, args.map), "hello_py": measure_hello()}
    finally:
        _daemon.stop()
        shutil.rmtree(home, ignore_errors=True)
    result["pool_floor"] = measure_pool(args.calls, args.map)
    if not args.no_ray:
        result["ray_peer"] = ray = measure_ray(args.calls, args.map)
        lv = result["leveret"]
        if "error" not in ray:
            result["targets"] = {
                "roundtrip_p50_vs_ray": {"ratio": lv["roundtrip_p50_ms"] / ray["roundtrip_p50_ms"], "target": "<= 0.5"},
                "map_rate_vs_ray": {"ratio": lv["map_per_s"] / ray["map_per_s"], "target": ">= 5"},
                "hello_py_wall_s": {"value": result["hello_py"]["wall_p50_ms"] / 1000, "target": "<= 1.0"},
            }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
