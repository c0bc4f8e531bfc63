"""Calls that make calls, for FunctionCall.get_call_graph (tests/integration/test_call_graph.py)."""

import time

import leveret

app = leveret.App("call-graph")


@app.function()
def leaf(x):
    return x + 1


@app.function()
def fails(x):
    raise ValueError(f"no {x}")


@app.function()
def slow(seconds):
    time.sleep(seconds)
    return seconds


@app.function()
def middle(n):
    return sum(leaf.map(range(n)))


@app.function()
def top(n):
    """Three levels: top maps middle over 1..n, each middle maps leaf."""
    return sum(middle.map(range(1, n + 1)))


@app.function()
def mixed():
    """A child that succeeds and one that fails."""
    ok = leaf.spawn(1)
    bad = fails.spawn(2)
    try:
        bad.get()
    except ValueError:
        pass
    return ok.get()


@app.function()
def leaves_running(seconds):
    """Spawns a slow call and returns at once, leaving it running: its id comes back."""
    return slow.spawn(seconds).object_id


@app.function()
def own_graph(n):
    """Its own call's graph, read from inside its container once its children finished."""
    calls = [leaf.spawn(i) for i in range(n)]
    leveret.FunctionCall.gather(*calls)
    [me] = leveret.FunctionCall.from_id(leveret.current_function_call_id()).get_call_graph()
    return (me.function_name, me.status.name, me.input_id == leveret.current_input_id(),
            sorted((c.function_name, c.status.name, bool(c.task_id)) for c in me.children))
