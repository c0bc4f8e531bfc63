"""A long input that outlives its worker (tests/faults/test_worker_killed_reattach.py)."""

import os
import subprocess
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
        # a child writing to the container's fd 1 (a pipe the worker reads): it must not die of
        # SIGPIPE while no worker reads it
        subprocess.run(["echo", f"tick {ticks}"], check=True)
    return f"finished in {container} after {ticks} ticks"
