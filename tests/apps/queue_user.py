"""Functions that use a Queue from inside their containers (tests/integration/test_queues_inside.py,
tests/container/test_crun_queues.py)."""

import os

import leveret

app = leveret.App("queue-user")


@app.function()
def produce(name: str, n: int, partition: str | None = None) -> int:
    q = leveret.Queue.from_name(name, create_if_missing=True)
    q.put_many([{"i": i} for i in range(n)], partition=partition)
    return q.len(partition=partition)


@app.function()
def consume(name: str, n: int, timeout: float = 30) -> list:
    q = leveret.Queue.from_name(name)
    return [q.get(timeout=timeout) for _ in range(n)]


@app.function(max_containers=100)
def wait_for_one(name: str):
    """Blocks on an empty queue until a put arrives: many containers at once."""
    value = leveret.Queue.from_name(name).get(timeout=300)
    return value, os.getpid()


@app.function()
def peek(name: str) -> list:
    return list(leveret.Queue.from_name(name).iterate())
