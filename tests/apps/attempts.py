"""Functions that count their executions in a file, for the test that retries= counts every attempt
(tests/faults/test_retries_count_attempts.py)."""

import os
import time

import leveret

app = leveret.App("attempts")


def count(path: str) -> None:
    """One execution: a mark in ``path`` (where the test can read it), and a line in the logs."""
    print(f"running for {path}", flush=True)
    try:
        with open(path, "a") as f:
            f.write("x")
    except FileNotFoundError:   # an isolated container does not see the test's directory
        pass


@app.function(retries=leveret.Retries(max_retries=2, initial_delay=0.0))
def raises(path):
    count(path)
    raise ValueError("always")


@app.function(retries=leveret.Retries(max_retries=2, initial_delay=0.0))
def crashes(path):
    count(path)
    os._exit(3)


@app.function()
def crashes_without_retries(path):
    count(path)
    os._exit(3)


@app.function(timeout=0.5, retries=leveret.Retries(max_retries=1, initial_delay=0.0))
def overruns(path):
    count(path)
    time.sleep(30)


@app.function(memory=64, retries=leveret.Retries(max_retries=1, initial_delay=0.0))
def eats_memory(path):
    count(path)
    hog = []
    while True:
        hog.append(bytearray(16 * 1024 * 1024))
