"""Leveret's named-object state (Dict, Queue) beside its peer (a local Redis), in one run.

    python bench/state.py [--ops 2000] [--no-redis] [--volume-files 1000] [--volume-file-kib 1024] [--no-volume]

Real `leveret server` and `leveret worker` processes (the worker's default runtime), and a
`redis-server` on a free loopback port without persistence, both started and stopped here.

Prints JSON:
- Dict put and get p50/p99 (µs) and ops/s (one caller, back to back), from this process as a
  client and from inside a container (a function doing --ops puts, then --ops gets);
- the same with redis-py SET/GET of the same keys and values, pickled as Leveret pickles them, from
  both places (from the container only where its image has redis-py: else the JSON says so), taken
  in turns with the Dict's (10 rounds), so the machine's slow moments fall on both;
- Queue put→get delay p50/p99 (a thread blocked in get(), another putting its clock), beside
  Redis RPUSH→BLPOP measured the same way;
- the targets as ratios against Redis measured in the same run (Dict p50 <= 2x Redis p50; a
  container without redis-py against Redis from the client);
- Volume commit and reload of --volume-files files (1,000 of 1 MiB: 1 GiB) from inside containers,
  beside `cp -r` of as many files on the same disk, the fastest of 3 (target: each >= 0.5x its
  throughput).
The SDK polls for a Dict's reply before it sleeps (_shared/direct_frames.py): LEVERET_DIRECT_SPIN_US=0
measures it without; the JSON says which. Redis is reported as skipped, with the reason, under --no-redis or where redis-server or redis-py
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
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _peers import percentile  # noqa: E402
from _procs import server_and_worker  # noqa: E402
from procs import free_port  # noqa: E402  (put on the path by _procs)
from leveret._shared.direct_frames import SPIN_S  # noqa: E402

QUEUE_WARMUP = 10
QUEUE_GAP_S = 0.005   # between puts: the getter is back waiting before the next one
CP_RUNS = 3
ROUNDS = 10   # the Dict's and Redis's timings taken in turns, this many each


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


def measure_volume(n_files: int, file_bytes: int) -> dict:
    """Volume commit and reload of n_files files (each its own random bytes) from inside containers,
    beside `cp -r` of as many such files on the same disk: throughputs and their ratios."""
    from _state_app import app, volume_commit, volume_reload

    total = n_files * file_bytes
    with app.run(show_logs=False):
        volume_reload.remote()   # a container mounted before the commit, to reload after it
        commit = volume_commit.remote(n_files, file_bytes)
        reload = volume_reload.remote()
    if reload["bytes"] != total:
        raise RuntimeError(f"the reload brought {reload['bytes']} bytes, not {total}")
    with tempfile.TemporaryDirectory(dir=os.environ.get("LEVERET_HOME")) as tmp:
        src = os.path.join(tmp, "src")
        os.makedirs(src)
        for i in range(n_files):
            with open(os.path.join(src, f"f{i:05d}.bin"), "wb") as f:
                f.write(os.urandom(file_bytes))
        cp_s, cp_sync_s = [], []
        for n in range(CP_RUNS):   # the best of a few: this disk is shared, its peer is taken at its fastest
            subprocess.run(["sync"], check=True)
            t = time.perf_counter()
            subprocess.run(["cp", "-r", src, os.path.join(tmp, f"dst{n}")], check=True)
            cp_s.append(time.perf_counter() - t)
            subprocess.run(["sync"], check=True)   # a commit is durable once it returns; a cp -r is not
            cp_sync_s.append(time.perf_counter() - t)
        cp_s, cp_sync_s = min(cp_s), min(cp_sync_s)

    def mib_s(seconds: float) -> float:
        return round(total / seconds / (1 << 20), 1)

    cp = mib_s(cp_s)
    out = {"files": n_files, "bytes": total, "cp_r_mib_s": cp, "cp_r_then_sync_mib_s": mib_s(cp_sync_s),
           "commit": {"seconds": round(commit["commit_s"], 3), "mib_s": mib_s(commit["commit_s"])},
           "reload": {"seconds": round(reload["reload_s"], 3), "mib_s": mib_s(reload["reload_s"])}}
    for op in ("commit", "reload"):
        ratio = out[op]["mib_s"] / cp
        out["targets_" + op] = {"ratio_vs_cp_r": round(ratio, 2), "target": ">= 0.5", "met": ratio >= 0.5}
    return out


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
    from _state_app import VALUE, app, dict_and_redis, dicts_in_container

    client = dict_and_redis("bench-state-client", redis_port, ops, ROUNDS)
    with app.run(show_logs=False):
        container = dicts_in_container.remote("bench-state-container", redis_port, ops, ROUNDS)
    result = {"value_pickled_bytes": len(pickle.dumps(VALUE)),
              "dict": {"client": summarize(client["dict"]), "container": summarize(container["dict"])}}
    if redis_port is not None:
        result["redis"] = {"client": summarize(client["redis"]), "container": summarize(container["redis"])}
    result["queue"] = {"samples": queue_n, "leveret": delays(leveret_queue(queue_n))}
    if redis_port is not None:
        result["queue"]["redis"] = delays(redis_queue(redis_port, queue_n))
    return result


def targets(result: dict) -> dict:
    """Each Dict p50 against Redis's in the same place, or (a container without redis-py) against
    Redis's from the client, on the same host."""
    out = {}
    for where in ("client", "container"):
        peer, peer_where = result["redis"][where], where
        if "skipped" in peer:
            peer, peer_where = result["redis"]["client"], "client"
        for op in ("put", "get"):
            out[f"dict_{op}_p50_{where}_vs_redis_{peer_where}"] = ratio_target(result["dict"][where][op], peer[op])
    queue = result["queue"]
    out["queue_delay_p50_vs_redis"] = {"ratio": round(queue["leveret"]["p50_us"] / queue["redis"]["p50_us"], 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=2000, help="puts, then as many gets, in each place")
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis peer")
    parser.add_argument("--volume-files", type=int, default=1000, help="files the Volume part commits and reloads")
    parser.add_argument("--volume-file-kib", type=int, default=1024, help="the size of each, KiB")
    parser.add_argument("--no-volume", action="store_true", help="skip the Volume part")
    args = parser.parse_args()
    queue_n = max(50, args.ops // 4)

    no_redis = why_no_redis(args.no_redis)
    with server_and_worker(), (contextlib.nullcontext() if no_redis else redis_server()) as port:
        result = {
            "setup": "real `leveret server` and `leveret worker` processes (the worker's default runtime) and a"
                     " local `redis-server` without persistence; the client is this process (SDK, redis-py)",
            "ops": args.ops,
            # the SDK polls this long for a direct-port reply before sleeping (LEVERET_DIRECT_SPIN_US; 0: not at all)
            "direct_spin_us": round(SPIN_S * 1e6),
            **measure(args.ops, port, queue_n),
        }
        result["volume"] = ({"skipped": "--no-volume"} if args.no_volume else
                            measure_volume(args.volume_files, args.volume_file_kib * 1024))
    if no_redis:
        result["redis"] = {"skipped": no_redis}
    else:
        result["targets"] = targets(result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
