"""Functions whose containers end under them in every way a container can end: for the tests that
the worker survives each (tests/faults/test_container_ends.py, tests/container/test_crun_container_ends.py)."""

import ctypes
import os
import time

import leveret

app = leveret.App("ends")


@app.function()
def segfaults_on_3(x):
    if x % 10 == 3:
        ctypes.string_at(0)
    return x * 2


@app.function()
def aborts_on_7(x):
    if x % 10 == 7:
        os.abort()
    return x * 2


@app.function(timeout=1)
def overruns_on_multiples_of_3(x):
    if x % 3 == 0:
        time.sleep(30)
    return x * 2


@app.function(memory=128)
def eats_memory_on_5(x):
    if x % 10 == 5:
        hog = []
        while True:
            hog.append(bytearray(16 * 1024 * 1024))
    return x * 2


@app.function(timeout=0.5)
def scripted(x):
    """Its behaviour comes from the fake runtime's script (ScriptedBootstrap), keyed by x."""
    return x * 2
