"""Functions for the orchestration tests: retries, crash loops, concurrency, placement."""

import os
import time

import leveret

app = leveret.App("orchestration")


def _bump(path: str) -> int:
    """Count this attempt in a file; return the attempt number (1 for the first)."""
    with open(path, "a") as f:
        f.write("x")
    with open(path) as f:
        return len(f.read())


@app.function(retries=leveret.Retries(max_retries=2, initial_delay=0.05, backoff_coefficient=2.0))
def flaky(path: str, succeed_on: int):
    attempt = _bump(path)
    if attempt < succeed_on:
        raise ValueError(f"attempt {attempt} fails")
    return attempt


@app.function(retries=1)
def crashes_once(path: str):
    if _bump(path) == 1:
        os._exit(3)
    return "survived"


@app.function()
def always_crashes(x):
    os._exit(5)


@app.function(serialized=True)
@leveret.concurrent(max_inputs=4)
def sleepy(seconds: float):
    time.sleep(seconds)
    return os.getpid()


@app.function(serialized=True)
@leveret.concurrent(max_inputs=3)
async def async_sleepy(seconds: float):
    import asyncio

    print(f"start {seconds}")
    await asyncio.sleep(seconds)
    print(f"end {seconds}")
    return os.getpid()


@app.function(cpu=1000.0)
def huge(x):
    return x


@app.function(region="mars")
def on_mars(x):
    return x


@app.function(min_containers=1, scaledown_window=1)
def kept_warm(x):
    return x


small = leveret.App("small-cluster")   # run on a cluster of its own


@small.function()
def hold(seconds: float):
    time.sleep(seconds)
    return "held"


@small.function()
def other(x):
    return x


gpu_app = leveret.App("gpus")   # run on a cluster whose worker offers GPUs


@gpu_app.function(gpu="T4")
def one_gpu():
    return os.environ["CUDA_VISIBLE_DEVICES"]


@gpu_app.function(gpu="t4:2")
def two_gpus():
    return os.environ["CUDA_VISIBLE_DEVICES"]


@gpu_app.function(gpu="H100")
def holds_gpu(seconds: float):
    time.sleep(seconds)
    return os.environ["CUDA_VISIBLE_DEVICES"]


@gpu_app.function(gpu="H100")
def holds_gpu_pid(seconds: float):
    time.sleep(seconds)


@gpu_app.function(gpu="H100")
def wrong_type():
    return "never"


@gpu_app.function(gpu=["H100", "t4"])   # a fallback list: the H100 the worker lacks, then its T4
def falls_back():
    return os.environ["CUDA_VISIBLE_DEVICES"]


@gpu_app.function(gpu=["H100!", "L4:1"])
def no_type_there():
    return "never"


@app.function()
def yields_then_crashes():
    yield 1
    time.sleep(0.3)   # the item is out before the container dies
    os._exit(3)


@app.function(serialized=True)
@leveret.concurrent(max_inputs=4)
def exits_on_zero(x: int):
    import sys

    time.sleep(0.2)
    if x == 0:
        sys.exit("no")
    return x


watched = leveret.App("watched")   # for the dashboard test


@watched.function()
def busy(marker: str, seconds: float):
    print(f"working on {marker}", flush=True)
    time.sleep(seconds)
    return marker


@app.function()
def tiny(x: int) -> int:
    return x * x
