"""A function that records each execution of an input (tests/faults/test_server_killed.py): a line
with its container's pid, in a file named after the input, under a directory on the host."""

import os
import time

import leveret

app = leveret.App("server-killed")


@app.function(max_containers=4, scaledown_window=120)
def record(x: int, directory: str) -> tuple[int, int]:
    with open(os.path.join(directory, str(x)), "a") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(0.01)
    return x * x, os.getpid()
