"""Functions whose calls are cancelled while they run (tests/integration/test_cancel_running.py,
tests/container/test_crun_cancel.py): each says when it starts and when it sees the cancellation,
in lines the tests read from the store."""

import os
import time

import leveret

app = leveret.App("cancelling")


def _container() -> str:
    return os.environ.get("LEVERET_CONTAINER_ID", "")


def _loop(name: str, seconds: float) -> str:
    """Short sleeps for ``seconds``; the container it ran in."""
    print(f"{name} started", flush=True)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.05)
    except leveret.exception.InputCancellation:
        print(f"{name} saw InputCancellation", flush=True)
        raise
    return _container()


@app.function(max_containers=1)   # one container: the input after a cancelled one runs where it ran
def loops(seconds):
    return _loop("loops", seconds)


@app.function()
def outer(seconds):
    """Waits on a spawned call of inner: cancelling it interrupts both."""
    print("outer started", flush=True)
    try:
        return inner.spawn(seconds).get()
    except leveret.exception.InputCancellation:
        print("outer saw InputCancellation", flush=True)
        raise


@app.function()
def inner(seconds):
    return _loop("inner", seconds)


@app.function(max_containers=1)
@leveret.concurrent(max_inputs=2)
def two_at_once(name, seconds):
    """Two inputs at once in one container, on threads."""
    return _loop(name, seconds)


@app.function(max_containers=1)
@leveret.concurrent(max_inputs=2)
def terminated(name, seconds):
    return _loop(name, seconds)


@app.function(max_containers=1)
async def waits_async(seconds):
    import asyncio

    print("waits_async started", flush=True)
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        print("waits_async saw CancelledError", flush=True)
        raise
    return _container()


@app.function(max_containers=1)
def alone(seconds):
    return _loop("alone", seconds)


@app.function()
def cancel_by_id(call_id, terminate_containers):
    """Cancels a call from inside a container (through its worker)."""
    leveret.FunctionCall.from_id(call_id).cancel(terminate_containers=terminate_containers)
    return "cancelled"
