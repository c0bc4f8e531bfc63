"""Functions and classes run with_options / with_concurrency / with_batching (tests/integration/test_with_options.py)."""

import os
import time

import leveret

app = leveret.App("options")


@app.function()
def env_of(name):
    return os.environ.get(name, "")


@app.function()
def sleeps(seconds):
    time.sleep(seconds)
    return os.getpid()


@app.function()
def lengths(xs):
    return [len(xs)] * len(xs)


@app.cls()
class Reader:
    @leveret.method()
    def env(self, name):
        return os.environ.get(name, "")
