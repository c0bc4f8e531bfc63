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


@app.function()
def waits_on_child(seconds):
    """Spawns a slow call and waits for it: cancelling this call cancels that one too."""
    return slow.spawn(seconds).get()


@app.function()
def waits_on_remote(seconds):
    return slow.remote(seconds)


@app.function(max_containers=1)
def calls_itself(depth):
    """Its only container would wait on itself: the nested call is refused, naming the fix."""
    if depth == 0:
        return "bottom"
    try:
        return calls_itself.remote(depth - 1)
    except leveret.exception.InvalidError as exc:
        return f"refused: {exc}"


@app.function(max_containers=2)
def recurses(depth):
    """Two slots: one level of calling itself has room, the next is refused."""
    if depth == 0:
        return 0
    return 1 + recurses.remote(depth - 1)


@app.function()
def modules_found(names):
    """Which of these modules the container's Python can import."""
    import importlib.util

    found = {}
    for name in names:
        try:
            found[name] = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found[name] = False
    return found


@app.function(max_containers=2)   # tree's container, two of these and one of square fit the test worker
def square_sum(n):
    """A map from inside: the sum of the squares below n."""
    return sum(square.map(range(n)))


@app.function()
def square(x):
    return x * x


@app.function()
def tree(n):
    """Three levels of fan-out: tree maps square_sum, which maps square."""
    return sum(square_sum.map(range(n)))


@app.function()
def starmapped(pairs):
    return list(add.starmap(pairs)) + list(add.map([1, 2], [10, 20]))


@app.function()
def add(a, b):
    return a + b


@app.function()
def countdown(n):
    for i in range(n, 0, -1):
        yield i


@app.function()
def gathers_generator(n):
    return list(countdown.remote_gen(n))


@app.function()
def map_with_failures(n):
    return [repr(r) if isinstance(r, Exception) else r for r in fails_on_odd.map(range(n), return_exceptions=True)]


@app.function()
def fails_on_odd(x):
    if x % 2:
        raise Boom(f"odd {x}")
    return x


@app.function()
def for_each_then_count(n):
    leaf.for_each(range(n))
    return n


@app.function()
def big_map(n):
    return sum(leaf.map(range(n)))


@app.function()
def length(data):
    return len(data)


@app.function()
def make_bytes(n):
    return b"x" * n


@app.function()
def large_both_ways(n):
    """Arguments and a result over the 2 MiB inline limit, from inside: as blobs through the worker."""
    sent = length.remote(b"a" * n)
    spawned = length.spawn(b"b" * n).get()
    got = make_bytes.remote(n)
    mapped = list(length.map([b"c" * n, b"d"]))
    return sent, spawned, len(got), got[:3], mapped


@app.function()
def whereami():
    """What code inside a container knows of itself."""
    return leveret.is_local(), leveret.current_input_id(), leveret.current_function_call_id()


@app.function()
def gathers(n):
    """FunctionCall.gather from inside: spawned calls' results in order."""
    return leveret.functions.gather(*[leaf.spawn(i) for i in range(n)])
