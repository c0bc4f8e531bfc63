"""Function API completions (tests/integration/test_function_api.py)."""

import time

import leveret

app = leveret.App("api-extras")


@app.function()
def echo(x):
    return x


@app.function(scaledown_window=600)
def warm(x):
    return x


@app.function()
def slow(seconds):
    time.sleep(seconds)
    return seconds


other = leveret.App("api-extras-other")


@other.function()
def from_other(x):
    return f"other {x}"


app.include(other)
