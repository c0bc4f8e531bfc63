"""Sandboxes beside raw crun, in one run (needs root, crun, tini, busybox-static, mmdebstrap).

    python bench/sandboxes.py [--samples 30] [--concurrent 50]

Prints JSON:
- create → first output: `Sandbox.create("echo", "hi")` until its first line is read, one after
  another (p50, p99), beside `crun run` of a prepared bundle of the same image running the same
  command, to its first line; target: p50 <= 2x. The worker keeps its default two warm sandboxes
  (--warm-sandboxes), so each create after the first takes one; ``create_to_first_output_cold`` is
  the same with none (each create a cold start: disk, network, user namespace, `crun run`);
- creates per second: ``--concurrent`` sandboxes created at once, each until its first line, beside
  as many `crun run` at once;
- exec round trip in a running sandbox: `sandbox.exec("echo", "x")` until its output ended, beside
  `crun exec` of the same command in the same container, the two taking turns (each pair under the
  same load); target: p50 <= 1.5x.

Server and worker are separate processes (the worker with the crun runtime).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import _crun  # noqa: E402
from _peers import percentile  # noqa: E402
from _procs import server_and_worker  # noqa: E402

CPU = (0.01, 1.0)   # what each sandbox reserves and may use: many at once fit a small machine


def _stats(times: list[float]) -> dict:
    return {"p50_ms": round(percentile(times, 50), 2), "p99_ms": round(percentile(times, 99), 2)}


def leveret(samples: int, at_once: int, warm_sandboxes: int = 2) -> dict:
    """``warm_sandboxes`` as the worker's --warm-sandboxes (its default: 2); with none, only the
    sequential creates are measured (each a cold start)."""
    import leveret as lv

    with server_and_worker("--runtime", "crun", "--warm-containers", "0", "--warm-sandboxes", str(warm_sandboxes),
                           "--max-containers", str(at_once + 8)):
        app = lv.App.lookup("bench-sandboxes", create_if_missing=True)
        warm = lv.Sandbox.create("true", app=app, cpu=CPU)   # the default image is built here, outside the samples
        warm.wait()

        def first_output() -> float:
            t = time.perf_counter()
            sb = lv.Sandbox.create("echo", "hi", app=app, cpu=CPU)
            assert next(iter(sb.stdout)) == "hi\n"
            took = (time.perf_counter() - t) * 1000
            sb.wait()
            return took

        created = [first_output() for _ in range(samples)]
        if not warm_sandboxes:
            return {"create_first_output": created}

        async def burst() -> float:
            async def one():
                sb = await lv.Sandbox.create.aio("echo", "hi", app=app, cpu=CPU)
                async for line in sb.stdout:
                    assert line == "hi\n"
                    break
                return sb

            t = time.perf_counter()
            made = await asyncio.gather(*(one() for _ in range(at_once)))
            took = time.perf_counter() - t
            await asyncio.gather(*(sb.wait.aio() for sb in made))
            return took

        burst_s = asyncio.run(burst())
        sb = lv.Sandbox.create(app=app, cpu=CPU)
        sb.wait_until_ready()
        container_id = _container_of(sb)
        execs, floor = [], []
        for _ in range(samples + 3):   # turn about: each pair under the same load, into the same container
            t = time.perf_counter()
            p = sb.exec("echo", "x")
            assert p.stdout.read() == "x\n"
            execs.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            assert subprocess.run(["crun", "exec", container_id, "echo", "x"], capture_output=True).stdout == b"x\n"
            floor.append((time.perf_counter() - t) * 1000)
        sb.terminate()
        return {"create_first_output": created, "burst_s": burst_s, "exec": execs[3:], "crun_exec": floor[3:]}


def _container_of(sb) -> str:
    """The runtime's name of the sandbox's container (a warm sandbox keeps the one it was made
    with): its host name. The worker's crun keeps its state where a plain `crun` looks."""
    p = sb.exec("hostname")
    name = p.stdout.read().strip()
    assert p.wait() == 0 and name.startswith("ct-"), name
    return name


def raw_crun(samples: int, at_once: int) -> dict:
    created = _crun.floor(samples, ["echo", "hi"], first_line=True)
    with _crun.bundles(at_once, ["echo", "hi"]) as (runtime, made):
        t = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(at_once) as ex:
            list(ex.map(lambda b: _crun.run_ms(runtime, *b, first_line=True), made))
        burst_s = time.perf_counter() - t
    return {"create_first_output": created, "burst_s": burst_s}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--concurrent", type=int, default=50)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/sandboxes.py needs root (crun, overlayfs, cgroups)")
    _crun.hide_unified()
    floor = raw_crun(args.samples, args.concurrent)
    ours = leveret(args.samples, args.concurrent)
    cold = _stats(leveret(args.samples, args.concurrent, warm_sandboxes=0)["create_first_output"])
    create, create_floor = _stats(ours["create_first_output"]), _stats(floor["create_first_output"])
    exec_, exec_floor = _stats(ours["exec"]), _stats(ours["crun_exec"])
    print(json.dumps({
        "create_to_first_output": {
            "leveret": create, "crun_run": create_floor,
            "ratio_p50": round(create["p50_ms"] / create_floor["p50_ms"], 2), "target": "ratio_p50 <= 2",
        },
        "create_to_first_output_cold": {   # the same with --warm-sandboxes 0: every create a cold start
            "leveret": cold, "crun_run": create_floor, "ratio_p50": round(cold["p50_ms"] / create_floor["p50_ms"], 2),
        },
        "creates_per_second": {
            "concurrent": args.concurrent,
            "leveret": round(args.concurrent / ours["burst_s"], 1),
            "crun_run": round(args.concurrent / floor["burst_s"], 1),
            "ratio": round(floor["burst_s"] / ours["burst_s"], 2),
        },
        "exec_round_trip": {
            "leveret": exec_, "crun_exec": exec_floor,
            "ratio_p50": round(exec_["p50_ms"] / exec_floor["p50_ms"], 2), "target": "ratio_p50 <= 1.5",
        },
    }, indent=2))


if __name__ == "__main__":
    main()
