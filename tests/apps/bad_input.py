"""Functions that misbehave (tests/faults/test_bad_input.py)."""

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
