"""A long input that outlives its worker (tests/faults/test_worker_killed_reattach.py)."""

import os
import time

import leveret

app = leveret.App("reattach")


@app.function(timeout=600)
def long(ticks: int = 40) -> str:
    """``ticks`` ticks a second apart (a count, not a duration: its prints wait for each new worker)."""
    container = os.environ.get("LEVERET_CONTAINER_ID", "")
    print(f"started in {container}", flush=True)
    for tick in range(1, ticks + 1):
        time.sleep(1)
        print(f"tick {tick}", flush=True)   # over its socket: it waits while no worker is there
    return f"finished in {container} after {ticks} ticks"
