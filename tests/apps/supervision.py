"""Functions for the supervision and restart faults (tests/faults/test_daemon_worker_killed.py,
test_worker_reconnects.py, test_daemon_start_waits.py)."""

import time

import leveret

app = leveret.App("supervision")


@app.function(retries=2)
def slow(seconds: float = 3.0) -> str:
    """Says it started, then takes a while: long enough to lose its worker under it."""
    print("started", flush=True)
    time.sleep(seconds)
    return "done"


@app.function(max_containers=2)
def double(x: int = 21) -> int:
    return 2 * x


@app.function(max_containers=1)
def wait(seconds: float = 3600.0) -> str:
    """Spawned many times while no container may run it: its inputs wait to be restored."""
    time.sleep(seconds)
    return "waited"
