"""Leveret's named-object state (Dict, Queue) beside its peer (a local Redis), in one run.

    python bench/state.py [--ops 2000] [--no-redis]

Real `leveret server` and `leveret worker` processes (the worker's default runtime), and a
`redis-server` on a free loopback port without persistence, both started and stopped here.

Prints JSON:
- Dict put and get p50/p99 (µs) and ops/s (one caller, back to back), from this process as a
  client and from inside a container (a function doing --ops puts, then --ops gets);
- the same with redis-py SET/GET of the same keys and values, pickled as Leveret pickles them, from
  both places (from the container only where its image has redis-py: else the JSON says so);
- Queue put→get delay p50/p99 (a thread blocked in get(), another putting its clock), beside
  Redis RPUSH→BLPOP measured the same way;
- the targets as ratios against Redis measured in the same run (Dict p50 <= 2x Redis p50);
- Volume commit and reload: a place kept for them (measure_volume), not measured yet.
Redis is reported as skipped, with the reason, under --no-redis or where redis-server or redis-py
is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _peers import percentile  # noqa: E402
from _procs import server_and_worker  # noqa: E402
from procs import free_port  # noqa: E402  (put on the path by _procs)

QUEUE_WARMUP = 10
QUEUE_GAP_S = 0.005   # between puts: the getter is back waiting before the next one


def delays(samples_us: list[float]) -> dict:
    return {"p50_us": round(percentile(samples_us, 50), 1), "p99_us": round(percentile(samples_us, 99), 1)}


def stats(samples_us: list[float]) -> dict:
    return {**delays(samples_us), "ops_per_s": round(len(samples_us) / (sum(samples_us) / 1e6))}


def summarize(raw: dict) -> dict:
    """{"put": stats, "get": stats} of a timing loop's samples, or its reason for skipping."""
    if "skipped" in raw:
        return raw
    return {"put": stats(raw["put_us"]), "get": stats(raw["get_us"])}


def queue_delays(put, get, n: int) -> list[float]:
    """Microseconds from put() to a blocked get() returning the value, n times."""
    delays, got = [], threading.Event()

    def getter():
        for _ in range(QUEUE_WARMUP + n):
            sent = get()
            delays.append((time.perf_counter() - sent) * 1e6)
            got.set()

    thread = threading.Thread(target=getter, daemon=True)
    thread.start()
    for _ in range(QUEUE_WARMUP + n):
        time.sleep(QUEUE_GAP_S)
        got.clear()
        put(time.perf_counter())
        if not got.wait(30):
            raise TimeoutError("the getter got no value within 30 s")
    thread.join()
    return delays[QUEUE_WARMUP:]


def leveret_queue(n: int) -> list[float]:
    import leveret

    q = leveret.Queue.from_name("bench-state", create_if_missing=True)
    return queue_delays(q.put, lambda: q.get(timeout=30), n)


def redis_queue(port: int, n: int) -> list[float]:
    import redis

    pusher, popper = redis.Redis(port=port), redis.Redis(port=port)
    return queue_delays(lambda v: pusher.rpush("bench-state", pickle.dumps(v)),
                        lambda: pickle.loads(popper.blpop("bench-state", timeout=30)[1]), n)


def measure_volume() -> dict:
    """Volume commit and reload of 1 GiB in 1,000 files, beside `cp -r` of the same files."""
    return {"skipped": "Volume is not implemented yet"}


def why_no_redis(disabled: bool) -> str:
    if disabled:
        return "--no-redis"
    if shutil.which("redis-server") is None:
        return "redis-server is not installed (Debian: apt-get install redis-server)"
    try:
        import redis  # noqa: F401
    except ImportError:
        return "redis-py is not installed (pip install redis)"
    return ""


@contextlib.contextmanager
def redis_server():
    """A redis-server on a free loopback port, without persistence; yields its port."""
    import redis

    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not answer on port {port}") from None
                time.sleep(0.02)
        yield port
    finally:
        proc.kill()
        proc.wait()


def ratio_target(leveret_stats: dict, redis_stats: dict) -> dict:
    ratio = leveret_stats["p50_us"] / redis_stats["p50_us"]
    return {"ratio": round(ratio, 2), "target": "<= 2", "met": ratio <= 2}


def measure(ops: int, redis_port: int | None, queue_n: int) -> dict:
    from _state_app import VALUE, app, dict_in_container, dict_ops, redis_in_container, redis_ops

    result = {"value_pickled_bytes": len(pickle.dumps(VALUE)),
              "dict": {"client": summarize(dict_ops("bench-state-client", ops))}}
    with app.run(show_logs=False):
        result["dict"]["container"] = summarize(dict_in_container.remote("bench-state-container", ops))
        if redis_port is not None:
            result["redis"] = {"client": summarize(redis_ops(redis_port, ops)),
                               "container": summarize(redis_in_container.remote(redis_port, ops))}
    result["queue"] = {"samples": queue_n, "leveret": delays(leveret_queue(queue_n))}
    if redis_port is not None:
        result["queue"]["redis"] = delays(redis_queue(redis_port, queue_n))
    return result


def targets(result: dict) -> dict:
    out = {}
    for where in ("client", "container"):
        peer = result["redis"][where]
        if "skipped" in peer:
            continue
        for op in ("put", "get"):
            out[f"dict_{op}_p50_vs_redis_{where}"] = ratio_target(result["dict"][where][op], peer[op])
    queue = result["queue"]
    out["queue_delay_p50_vs_redis"] = {"ratio": round(queue["leveret"]["p50_us"] / queue["redis"]["p50_us"], 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=2000, help="puts, then as many gets, in each place")
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis peer")
    args = parser.parse_args()
    queue_n = max(50, args.ops // 4)

    no_redis = why_no_redis(args.no_redis)
    with server_and_worker(), (contextlib.nullcontext() if no_redis else redis_server()) as port:
        result = {
            "setup": "real `leveret server` and `leveret worker` processes (the worker's default runtime) and a"
                     " local `redis-server` without persistence; the client is this process (SDK, redis-py)",
            "ops": args.ops,
            **measure(args.ops, port, queue_n),
        }
    if no_redis:
        result["redis"] = {"skipped": no_redis}
    else:
        result["targets"] = targets(result)
    result["volume"] = measure_volume()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
