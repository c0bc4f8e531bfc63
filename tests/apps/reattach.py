"""A long input that outlives its worker (tests/faults/test_worker_killed_reattach.py)."""

import os
import time

import leveret

app = leveret.App("reattach")


@app.function(timeout=600)
def long(seconds: float = 40.0) -> str:
    container = os.environ.get("LEVERET_CONTAINER_ID", "")
    print(f"started in {container}", flush=True)
    t0, ticks = time.time(), 0
    while time.time() - t0 < seconds:
        time.sleep(1)
        ticks += 1
        print(f"tick {ticks}", flush=True)   # over its socket: it waits while no worker is there
    return f"finished in {container} after {ticks} ticks"
