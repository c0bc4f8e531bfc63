"""Functions for the tests of a run that outlives a server restart."""

import time

import leveret

app = leveret.App("restart")


@app.function()
def slow_square(x):
    time.sleep(0.02)
    print(f"square {x}")
    return x * x


@app.function()
def sleep_then_square(x, seconds: float):
    time.sleep(seconds)
    return x * x


@app.function()
def waits_on_sleeper(seconds: float):
    """Spawns a slow call from inside and waits for it."""
    return sleep_then_square.spawn(2, seconds).get()
