"""Container cold start beside the raw crun floor, in one run (needs root, crun, tini, mmdebstrap).

    python bench/containers.py [--samples 15]

Prints JSON:
- leveret cold start p50: a new container running a trivial function — the first `.remote()` of a
  fresh app run on a worker with the crun runtime (server and worker are separate processes) —
  as workers run by default (one warm container kept started), and with no warm container;
- the floor: `crun run` of a prepared bundle running `python3 -c pass` from the same image root;
- the ratio, against the target of <= 2x;
- what a container's own network (the default) costs a cold start: without a warm container, beside
  the same with `leveret worker --host-network` (target <= 5 ms);
- a cached image rebuild (every layer a cache hit; target <= 0.1 s);
- debian_slim built from scratch beside plain mmdebstrap of the same packages (target <= 1.2x).
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
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

import _crun  # noqa: E402
from _peers import percentile  # noqa: E402
from _procs import server_and_worker  # noqa: E402


def crun_floor(samples: int) -> list[float]:
    """Milliseconds of `crun run` for a prepared bundle running `python3 -c pass`."""
    return _crun.floor(samples, ["python3", "-c", "pass"])


def leveret_cold_starts(samples: int, warm_containers: int, *worker_args: str) -> list[float]:
    with server_and_worker("--runtime", "crun", "--warm-containers", str(warm_containers), *worker_args):
        from _bench_app import app, trivial

        with app.run(show_logs=False):   # builds the default image on first use, outside the samples
            trivial.remote(0)
        times = []
        for _ in range(samples):
            time.sleep(0.2)   # a new function arrives now and then, not back to back: the pool refills
            with app.run(show_logs=False):
                t = time.perf_counter()
                trivial.remote(1)
                times.append((time.perf_counter() - t) * 1000)
        return times


def cached_rebuild_s(samples: int) -> list[float]:
    """Seconds to 'build' an image whose every layer is cached."""
    import asyncio

    import leveret
    from leveret.worker.images.base import cache_dir
    from leveret.worker.images.builder import ImageBuilder
    from leveret.worker.runtime.oci import CrunRuntime

    work = tempfile.mkdtemp(prefix="lv-rebuild-")
    image = leveret.Image.debian_slim().run_commands("echo cached > /cached").env({"A": "1"}).workdir("/srv")
    steps = json.loads(image.to_json())

    async def run():
        builder = ImageBuilder(cache_dir(), CrunRuntime(work))
        await builder.build(steps, lambda line: None)   # first build: fills the cache
        times = []
        for _ in range(samples):
            t = time.perf_counter()
            await builder.build(steps, lambda line: None)
            times.append(time.perf_counter() - t)
        return times

    try:
        return asyncio.run(run())
    finally:
        shutil.rmtree(work, ignore_errors=True)


def debian_slim_from_scratch() -> dict:
    """Our debian_slim build and plain mmdebstrap of the same packages, one after the other."""
    from leveret.worker.images import base

    work = tempfile.mkdtemp(prefix="lv-scratch-")
    try:
        t = time.perf_counter()
        base.default_rootfs(cache=os.path.join(work, "ours"))
        ours = time.perf_counter() - t
        t = time.perf_counter()
        subprocess.run(["mmdebstrap", "--variant=apt", "--include=" + ",".join(base.PACKAGES), base.host_suite(),
                        os.path.join(work, "plain")], check=True, capture_output=True)
        plain = time.perf_counter() - t
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"leveret_s": ours, "mmdebstrap_s": plain, "ratio": ours / plain, "target": "ratio <= 1.2"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--no-scratch", action="store_true", help="skip the from-scratch debian_slim build (~1 min)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/containers.py needs root (crun, overlayfs, cgroups)")
    _crun.hide_unified()
    floor = crun_floor(args.samples)
    ours = leveret_cold_starts(args.samples, warm_containers=1)
    no_pool = leveret_cold_starts(args.samples, warm_containers=0)
    host_network = leveret_cold_starts(args.samples, 0, "--host-network")
    rebuild = cached_rebuild_s(args.samples)
    result = {
        "cold_start": {
            "leveret_p50_ms": percentile(ours, 50),
            "crun_floor_p50_ms": percentile(floor, 50),
            "ratio": percentile(ours, 50) / percentile(floor, 50),
            "target": "ratio <= 2",
            "without_warm_container": {"p50_ms": percentile(no_pool, 50),
                                       "ratio": percentile(no_pool, 50) / percentile(floor, 50)},
            # what a network of its own (the default) costs a cold start, beside --host-network's
            "own_network_cost_ms": round(percentile(no_pool, 50) - percentile(host_network, 50), 2),
            "own_network_target": "<= 5 ms",
            "samples_ms": {"leveret": [round(x, 1) for x in ours], "no_warm_container": [round(x, 1) for x in no_pool],
                           "host_network": [round(x, 1) for x in host_network],
                           "crun_floor": [round(x, 1) for x in floor]},
        },
        "cached_rebuild": {"p50_s": percentile(rebuild, 50), "max_s": max(rebuild), "target": "<= 0.1 s"},
    }
    if not args.no_scratch:
        result["debian_slim_from_scratch"] = debian_slim_from_scratch()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
