"""The app bench/nested.py runs: a trivial function, and functions that call it from inside their
container with the same timing helpers the benchmark uses from the client."""

import time

import leveret

app = leveret.App("bench-nested")


def remote_latencies(fn, calls: int) -> list:
    """``calls`` sequential ``fn.remote()`` after a warm-up: each one's ms."""
    for i in range(20):
        fn.remote(i)
    samples = []
    for i in range(calls):
        t = time.perf_counter()
        fn.remote(i)
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def map_seconds(fn, n: int) -> float:
    """``list(fn.map(range(n)))`` after a warm-up map: its seconds."""
    list(fn.map(range(1000)))
    t = time.perf_counter()
    out = list(fn.map(range(n)))
    seconds = time.perf_counter() - t
    assert out[-1] == (n - 1) ** 2
    return seconds


@app.function()
def trivial(x):
    return x * x


@app.function()
def remote_from_inside(calls: int) -> list:
    return remote_latencies(trivial, calls)


@app.function()
def map_from_inside(n: int) -> float:
    return map_seconds(trivial, n)
