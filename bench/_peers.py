"""Peer and floor measurements for the Leveret benchmark.

The floor is ``multiprocessing.Pool(2)`` in this interpreter; the peer is Ray,
which runs in its own virtual environment so it never enters the main one.
Standard library only.
"""

import json
import math
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

RAY_VERSION = "2.60.0"
RAY_TIMEOUT_S = 600
WARMUP_CALLS = 50
COLD_START_FUNCTIONS = 5

RAY_CHILD = """
import json, sys, time
import ray

calls, map_n, cold_n, warmup = (int(a) for a in sys.argv[1:])

def elapsed_ms(start):
    return (time.perf_counter() - start) * 1000

@ray.remote
def trivial(x):
    return x * x

def cold_start_ms():
    start = time.perf_counter()
    fresh = ray.remote(lambda x: x * x)
    ray.get(fresh.remote(1))
    return elapsed_ms(start)

ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
         logging_level="ERROR")
try:
    ray.get([trivial.remote(i) for i in range(warmup)])
    roundtrip = []
    for i in range(calls):
        start = time.perf_counter()
        ray.get(trivial.remote(i))
        roundtrip.append(elapsed_ms(start))
    start = time.perf_counter()
    ray.get([trivial.remote(i) for i in range(map_n)])
    map_s = time.perf_counter() - start
    cold = [cold_start_ms() for _ in range(cold_n)]
finally:
    ray.shutdown()
print(json.dumps({"version": ray.__version__, "roundtrip_ms": roundtrip,
                  "map_per_s": map_n / map_s, "cold_start_ms": cold}))
"""


def percentile(values, p):
    """Nearest-rank percentile: the smallest value with p% of values at or below it."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def trivial(x):
    return x * x


def _roundtrip_ms(pool, x):
    start = time.perf_counter()
    pool.apply(trivial, (x,))
    return (time.perf_counter() - start) * 1000


def measure_pool(calls: int = 500, map_n: int = 10_000) -> dict:
    """Warm apply() round trip and map() throughput of a two-process Pool."""
    with multiprocessing.Pool(2) as pool:
        for i in range(WARMUP_CALLS):
            pool.apply(trivial, (i,))
        samples = [_roundtrip_ms(pool, i) for i in range(calls)]
        start = time.perf_counter()
        pool.map(trivial, range(map_n))
        map_s = time.perf_counter() - start
    return {
        "roundtrip_p50_ms": percentile(samples, 50),
        "roundtrip_p99_ms": percentile(samples, 99),
        "map_per_s": map_n / map_s,
        "notes": "pool.apply per call; pool.map with its default chunksize",
    }


def default_ray_venv() -> Path:
    configured = os.environ.get("LEVERET_BENCH_RAY_VENV")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "leveret-bench" / f"ray-{RAY_VERSION}"


def _ray_installed(venv: Path) -> bool:
    pattern = f"lib/python*/site-packages/ray-{RAY_VERSION}.dist-info"
    return any(venv.glob(pattern))


def _install_ray(venv: Path) -> None:
    print(f"creating {venv} and installing ray=={RAY_VERSION}", file=sys.stderr)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", f"ray=={RAY_VERSION}"],
    ]
    for step in steps:
        subprocess.run(step, stdout=sys.stderr, check=True, timeout=RAY_TIMEOUT_S)


def _run_ray_child(venv: Path, calls: int, map_n: int) -> dict:
    args = [str(n) for n in (calls, map_n, COLD_START_FUNCTIONS, WARMUP_CALLS)]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", RAY_CHILD, *args],
        capture_output=True, text=True, env=env, check=True, timeout=RAY_TIMEOUT_S,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_ray(calls: int = 500, map_n: int = 10_000, venv: str | None = None) -> dict:
    """Warm round trip, map throughput and cold start of Ray, run in its own venv."""
    venv_path = Path(venv) if venv else default_ray_venv()
    try:
        if not _ray_installed(venv_path):
            _install_ray(venv_path)
        raw = _run_ray_child(venv_path, calls, map_n)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or ""
        return {"error": f"{exc} {detail[-2000:]}".strip()}
    return {
        "roundtrip_p50_ms": percentile(raw["roundtrip_ms"], 50),
        "roundtrip_p99_ms": percentile(raw["roundtrip_ms"], 99),
        "map_per_s": raw["map_per_s"],
        "cold_start_p50_ms": percentile(raw["cold_start_ms"], 50),
        "version": raw["version"],
    }


if __name__ == "__main__":
    print(json.dumps({"pool": measure_pool(), "ray": measure_ray()}, indent=2))
