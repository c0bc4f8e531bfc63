"""The soak test's function (tests/faults/test_soak.py): quick, retried, and saying which container
ran it."""

import os
import time

import leveret

app = leveret.App("soak")


@app.function(retries=leveret.Retries(max_retries=8, initial_delay=0.1, backoff_coefficient=1.0), max_containers=4)
def square(x: int, seconds: float) -> tuple[int, str]:
    time.sleep(seconds)
    return x * x, os.environ["LEVERET_CONTAINER_ID"]
