"""Start-up costs, each beside a floor measured in the same run. Prints JSON.

    python bench/restore.py [--inputs 10000] [--finished 50000] [--starts 7] [--src DIR]

- restore: a store holding a deployed app whose function has ``--inputs`` spawned calls without a
  result (what a killed daemon leaves) beside ``--finished`` finished ones (a week of history);
  the time for a server to start on it (Server.start: store opened, everything restored and
  queued, gRPC serving). Floor: one plain SQL query reading the same input rows. Target < 2 s.
- start: `leveret server start` on an empty $LEVERET_HOME until it returns (the embedded daemon
  up, its worker registered), the median of ``--starts`` runs, with where the time went (from
  daemon.log's timestamps). Floor: a bare `python -c pass` (the same interpreter, no leveret).
  Target < 0.5 s. ``--src`` times the start of another checkout's src/ (e.g. an older commit's,
  from `git archive`) in the same conditions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))

from leveret._wire import api_pb2 as pb  # noqa: E402
from leveret.server.store import open_store  # noqa: E402

RESTORE_TARGET_S = 2.0
START_TARGET_S = 0.5


def make_store(path: str, outstanding: int, finished: int) -> None:
    store = open_store("sqlite:///" + path)
    store.create_app("ap-bench", "bench", "", deploy=True)
    store.publish("ap-bench", None)
    store.create_function("fu-bench", "ap-bench", "f", pb.FunctionDefinition(name="f", module="m").SerializeToString())
    args = pickle.dumps(((1,), {}), protocol=4)
    with store.transaction():
        for i in range(finished + outstanding):   # the finished ones first: older
            store.create_call(f"fc-{i:016x}", "fu-bench", "spawn", 1, [(f"in-{i:016x}-0", 0, args)])
        store.add_outputs([(f"in-{i:016x}-0", f"fc-{i:016x}", 0, 0, 1, b"ok", 0, "", "ct-bench")
                           for i in range(finished)])
    store.close()


async def server_start(path: str) -> tuple[float, int]:
    from leveret.server.main import Server

    t0 = time.perf_counter()
    server = await Server.start(listen="127.0.0.1:0", db="sqlite:///" + path, token="bench")
    took = time.perf_counter() - t0
    queued = sum(fn.queued for fn in server.dispatcher.functions.values())
    await server.stop(grace=0)
    return took, queued


def plain_read(path: str) -> float:
    db = sqlite3.connect(path)
    t0 = time.perf_counter()
    db.execute("SELECT c.id, c.kind, c.total, i.id, i.idx, i.args FROM calls c JOIN inputs i ON i.call_id = c.id"
               " WHERE c.function_id = 'fu-bench'").fetchall()
    took = time.perf_counter() - t0
    db.close()
    return took


def bench_restore(outstanding: int, finished: int) -> dict:
    work = tempfile.mkdtemp(prefix="lv-bench-restore-")
    try:
        path = os.path.join(work, "state.db")
        make_store(path, outstanding, finished)
        took, queued = asyncio.run(server_start(path))
        assert queued == outstanding, (queued, outstanding)
        floor = min(plain_read(path) for _ in range(3))
        return {"inputs": outstanding, "finished_calls_beside": finished, "server_start_s": round(took, 3),
                "floor_plain_sql_read_s": round(floor, 4), "target_s": RESTORE_TARGET_S,
                "met": took < RESTORE_TARGET_S}
    finally:
        shutil.rmtree(work, ignore_errors=True)


LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (\S+) \w+ (.*)$")


def log_times(path: str) -> list[tuple[float, str]]:
    """(UNIX time, message) of each logged line of daemon.log."""
    out = []
    with open(path) as f:
        for line in f:
            m = LOG_TIME.match(line)
            if m:
                when = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                out.append((when, m.group(3)))
    return out


def one_start(env: dict) -> dict:
    home = tempfile.mkdtemp(prefix="lv-bench-home-")
    env = {**env, "LEVERET_HOME": home}
    try:
        t0 = time.time()
        done = subprocess.run([sys.executable, "-m", "leveret.cli", "server", "start"], env=env, capture_output=True,
                              text=True, timeout=120)
        t1 = time.time()
        assert done.returncode == 0, done.stderr
        lines = log_times(os.path.join(home, "daemon.log"))

        def at(pattern: str) -> float | None:
            return next((when - t0 for when, text in lines if re.search(pattern, text)), None)

        phases = {"daemon_up_worker_spawned": at(r"^starting the server"),
                  "server_code_imported": at(r"^opening the store"),
                  "worker_registered": at(r"^registered as"),
                  "daemon_ready": at(r"^leveret daemon ready")}
        subprocess.run([sys.executable, "-m", "leveret.cli", "server", "stop"], env=env, capture_output=True,
                       timeout=60)
        return {"total": t1 - t0, **{k: v for k, v in phases.items() if v is not None}}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def timed(argv: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def bench_start(n: int, src: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEVERET_")}
    env["PYTHONPATH"] = src
    runs = [one_start(env) for _ in range(n)]
    median = {key: round(statistics.median(r[key] for r in runs if key in r), 3)
              for key in runs[0]}
    floor = statistics.median(timed([sys.executable, "-c", "pass"], env) for _ in range(n))
    sdk = statistics.median(timed([sys.executable, "-c", "import leveret"], env) for _ in range(n))
    return {"runs": n, "median_s": median, "all_totals_s": [round(r["total"], 3) for r in runs],
            "floor_bare_python_s": round(floor, 4), "python_importing_leveret_s": round(sdk, 4),
            "target_s": START_TARGET_S, "met": median["total"] < START_TARGET_S}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--finished", type=int, default=50_000)
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--src", default=os.path.join(ROOT, "src"), help="the src/ whose start is timed")
    args = parser.parse_args()
    print(json.dumps({"restore": bench_restore(args.inputs, args.finished),
                      "empty_home_start": {"src": args.src, **bench_start(args.starts, args.src)},
                      "cpus": os.cpu_count(), "load_average": os.getloadavg()}, indent=2))


if __name__ == "__main__":
    main()
