"""Web functions through the gateway beside plain uvicorn serving the same FastAPI app, in one run.

    python bench/web.py [--requests 1000] [--concurrency 16] [--cold 3] [--runtime crun|process]

Real `leveret server` and `leveret worker` processes; uvicorn in a process of its own; one client
(http.client, a keep-alive connection per thread) for both. Prints JSON:
- warm: p50/p99 latency (µs) of GETs one after another, and requests/s with --concurrency threads,
  for the fastapi_endpoint on warm containers and for uvicorn, taken in turns (5 rounds) so the
  machine's slow moments fall on both; targets: >= 0.5x uvicorn's requests/s, p50 overhead <= 1 ms;
- cold: the time from a request to the function scaled to zero until its answer, beside the
  container cold-start floor (`crun run` of `python3 -c pass` from the base image; with the process
  runtime, `python3 -c pass`); target <= 2x. Taken once the function has been at zero for
  SETTLE_S (its worker has put a warm container on its image in its place meanwhile, what its
  last container imported imported: worker/README.md); "right_after_zero_ms" are requests sent the
  moment it reached zero, while that warm container is still starting (no target).
The crun runtime (the default where it runs: root, crun) builds an image with FastAPI first, outside
the measurements; the process runtime uses this environment's FastAPI.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _peers import percentile  # noqa: E402
from _procs import server_and_worker  # noqa: E402
from procs import free_port  # noqa: E402  (put on the path by _procs)

ROUNDS = 5
SETTLE_S = 3.0


def get_ms(conn: http.client.HTTPConnection, path: str) -> float:
    t = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
    return (time.perf_counter() - t) * 1e3


def connection(url: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60), (parts.path or "") + "/?name=bench"


def sequential(url: str, n: int) -> list[float]:
    conn, path = connection(url)
    try:
        return [get_ms(conn, path) for _ in range(n)]
    finally:
        conn.close()


def throughput(url: str, n: int, threads: int) -> float:
    """Requests per second: ``n`` GETs over ``threads`` keep-alive connections."""
    per = n // threads

    def worker():
        conn, path = connection(url)
        try:
            for _ in range(per):
                get_ms(conn, path)
        finally:
            conn.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    t = time.perf_counter()
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    return per * threads / (time.perf_counter() - t)


def uvicorn_server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "_web_app:fastapi_app", "--factory", "--port", str(port),
                             "--log-level", "warning", "--no-access-log"], cwd=HERE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            sequential(url, 1)
            return proc, url
        except OSError:
            if time.time() > deadline:
                proc.kill()
                raise RuntimeError("uvicorn did not start") from None
            time.sleep(0.1)


def floor_ms(runtime: str, samples: int) -> list[float]:
    if runtime == "crun":
        from containers import crun_floor

        return crun_floor(samples)
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append((time.perf_counter() - t) * 1e3)
    return times


def cold_ms(endpoint, url: str, samples: int, settle_s: float) -> list[float]:
    """A request to the function once it has had no container for ``settle_s`` (its scaledown
    window is 2 s)."""
    times = []
    for _ in range(samples):
        deadline = time.time() + 60
        while endpoint.get_current_stats().num_total_runners:
            if time.time() > deadline:
                raise RuntimeError("the function did not scale to zero")
            time.sleep(0.05)
        time.sleep(settle_s)
        conn, path = connection(url)
        try:
            times.append(get_ms(conn, path))
        finally:
            conn.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="sequential GETs (and 2x that for requests/s), each side")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--cold", type=int, default=3, help="requests from zero")
    parser.add_argument("--runtime", choices=["crun", "process"],
                        default="crun" if os.geteuid() == 0 and shutil.which("crun") else "process")
    args = parser.parse_args()
    if args.runtime == "crun":
        os.environ["BENCH_WEB_IMAGE"] = "fastapi"
    uvicorn, uvicorn_url = uvicorn_server()
    try:
        with server_and_worker("--runtime", args.runtime):
            from _web_app import app, endpoint

            with app.run(show_logs=False):
                url = endpoint.get_web_url()
                sequential(url, 20)   # the image built, a container started: warm from here
                raw = {"leveret": {"latency": [], "rps": []}, "uvicorn": {"latency": [], "rps": []}}
                for _ in range(ROUNDS):
                    for name, target in (("leveret", url), ("uvicorn", uvicorn_url)):
                        raw[name]["latency"] += sequential(target, args.requests // ROUNDS)
                        raw[name]["rps"].append(throughput(target, 2 * args.requests // ROUNDS, args.concurrency))
                right_after = cold_ms(endpoint, url, args.cold, 0)
                cold = cold_ms(endpoint, url, args.cold, SETTLE_S)
    finally:
        uvicorn.terminate()
        uvicorn.wait(10)
    floor = floor_ms(args.runtime, 5)
    warm = {name: {"p50_us": round(percentile(r["latency"], 50) * 1e3, 1),
                   "p99_us": round(percentile(r["latency"], 99) * 1e3, 1),
                   "requests_per_s": round(sorted(r["rps"])[len(r["rps"]) // 2], 1)} for name, r in raw.items()}
    rps_ratio = warm["leveret"]["requests_per_s"] / warm["uvicorn"]["requests_per_s"]
    overhead_ms = (warm["leveret"]["p50_us"] - warm["uvicorn"]["p50_us"]) / 1e3
    cold_ratio = percentile(cold, 50) / percentile(floor, 50)
    print(json.dumps({
        "setup": f"real `leveret server` and `leveret worker --runtime {args.runtime}`; uvicorn beside; one"
                 f" client, {args.concurrency} threads for requests/s",
        "warm": warm,
        "cold": {"leveret_ms": [round(x, 1) for x in cold], "floor_ms": [round(x, 1) for x in floor],
                 "at_zero_for_s": SETTLE_S, "right_after_zero_ms": [round(x, 1) for x in right_after],
                 "floor": "crun run python3 -c pass" if args.runtime == "crun" else "python3 -c pass"},
        "targets": {
            "requests_per_s_vs_uvicorn": {"ratio": round(rps_ratio, 2), "target": ">= 0.5", "met": rps_ratio >= 0.5},
            "p50_overhead_ms": {"value": round(overhead_ms, 3), "target": "<= 1", "met": overhead_ms <= 1},
            "cold_vs_floor": {"ratio": round(cold_ratio, 2), "target": "<= 2", "met": cold_ratio <= 2},
        },
    }, indent=2))


if __name__ == "__main__":
    main()
