"""Functions that misbehave (tests/faults/test_bad_input.py, tests/container/test_crun_bad_input.py).
Each runs in one container at a time, so the next input after a bad one is on the same container
unless the bad one ended it."""

import os
import signal
import sys
import threading
import time

import leveret

app = leveret.App("bad-input")


def _deeper(n: int) -> int:
    return _deeper(n + 1) + 1


@app.function(max_containers=1)
def recurse(n: int) -> int:
    """Never returns: infinite recursion."""
    return _deeper(n)


@app.function(max_containers=1)
def echo(x):
    return x


@app.function(max_containers=1)
def pid(x=None) -> int:
    """The container's process: the same one answers the input after a bad argument."""
    return os.getpid()


class NeedsTwo(Exception):
    """Pickles as ``NeedsTwo(message)``: re-creating it from that fails (its __init__ takes two)."""

    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


class HoldsLock(Exception):
    """Cannot be pickled at all: it holds a lock."""

    def __init__(self):
        super().__init__("it holds a lock")
        self.lock = threading.Lock()


@app.function(max_containers=1)
def fail(kind: str) -> int:
    """Raise an exception that does not make the trip back as itself; else the container's pid."""
    if kind == "recreate":
        raise NeedsTwo(1, 2)
    if kind == "pickle":
        raise HoldsLock()
    if kind == "huge":
        raise ValueError("x" * (10 * 1024 * 1024))   # a 10 MB message, and so a 10 MB traceback
    return os.getpid()


class FailsToLoad:
    """An argument that pickles fine here and fails to load in the container."""

    def __reduce__(self):
        return (_refuse, ())


def _refuse():
    raise RuntimeError("this argument refuses to be unpickled")


@app.function(max_containers=1, timeout=2)
def ignore_sigterm(seconds: float) -> int:
    """Ignores SIGTERM and outlives its timeout unless ``seconds`` is short."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(seconds)
    return os.getpid()


@app.function(max_containers=1)
def daemonize(marker: str) -> str:
    """Start a process that double-forks out of this input (and its session), named by ``marker``
    on its command line; return this container's id."""
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", marker])
        os._exit(0)
    os.waitpid(child, 0)
    return os.environ["LEVERET_CONTAINER_ID"]
