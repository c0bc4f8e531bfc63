"""Functions that call functions from inside their containers (tests/integration/test_nested_calls.py)."""

import time

import leveret

app = leveret.App("nested")


class Boom(Exception):
    pass


@app.function()
def leaf(x):
    return x + 1


@app.function()
def fails(x):
    raise Boom(f"boom {x}")


@app.function()
def slow(seconds):
    time.sleep(seconds)
    return seconds


@app.function()
def remote_sum(n):
    """n nested .remote() calls, one after another."""
    return sum(leaf.remote(i) for i in range(n))


@app.function()
def fan_out(n):
    """Spawn n calls, then wait for each."""
    calls = [leaf.spawn(i) for i in range(n)]
    return [c.get() for c in calls]


@app.function()
def two_levels(n):
    """A nested call that makes nested calls itself."""
    return remote_sum.remote(n) + leaf.remote(100)


@app.function()
async def async_caller(x):
    return await leaf.remote.aio(x) + await (await leaf.spawn.aio(x)).get.aio()


@app.function()
def catches(x):
    """The remote exception reaches the caller inside the container as itself."""
    try:
        fails.remote(x)
    except Boom as exc:
        return f"caught {type(exc).__name__}: {exc}"
    return "not raised"


@app.function()
def get_with_timeout(seconds):
    call = slow.spawn(seconds)
    try:
        call.get(timeout=0.2)
    except TimeoutError:
        call.cancel()
        return "timed out"
    return "finished"


@app.function()
def by_name(app_name, name, x):
    """A deployed function, looked up by name from inside a container."""
    return leveret.Function.from_name(app_name, name).remote(x)


@app.function()
def error_of(app_name, name):
    """What calling a function out of reach raises inside the container."""
    try:
        leveret.Function.from_name(app_name, name).remote(1)
    except leveret.exception.Error as exc:
        return f"{type(exc).__name__}: {exc}"
    return "no error"


@app.function()
def call_by_id(function_id):
    """A function by its id (as a handle passed in would carry): out of reach unless its app is deployed."""
    fn = leveret.Function.from_name("unused", "unused")
    fn._hydrate(function_id, None)
    from leveret._client import Client
    from leveret._shared.aio import run_sync

    fn._client = run_sync(Client.get())
    try:
        return fn.remote(1)
    except leveret.exception.Error as exc:
        return f"{type(exc).__name__}: {exc}"
