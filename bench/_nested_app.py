"""The app bench/nested.py runs: a trivial function, and functions that call it from inside their container."""

import time

import leveret

app = leveret.App("bench-nested")


@app.function()
def trivial(x):
    return x * x


@app.function()
def remote_from_inside(calls: int) -> list:
    """``calls`` sequential ``trivial.remote()`` from inside this container: each one's ms."""
    for i in range(20):
        trivial.remote(i)
    samples = []
    for i in range(calls):
        t = time.perf_counter()
        trivial.remote(i)
        samples.append((time.perf_counter() - t) * 1000)
    return samples


@app.function()
def map_from_inside(n: int) -> float:
    """``list(trivial.map(range(n)))`` from inside this container: its seconds."""
    list(trivial.map(range(1000)))
    t = time.perf_counter()
    out = list(trivial.map(range(n)))
    seconds = time.perf_counter() - t
    assert out[-1] == (n - 1) ** 2
    return seconds
