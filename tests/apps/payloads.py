"""Functions with large arguments and results (tests/integration/test_blob_payloads.py and the
fault tests of large payloads)."""

import leveret

app = leveret.App("payloads")


@app.function()
def echo(data):
    return data


@app.function()
def size(data):
    return len(data)


@app.function()
def make(n: int, fill: int = 120):
    return bytes([fill]) * n


@app.function()
def chunks(n: int, count: int):
    for i in range(count):
        yield bytes([i]) * n


@app.function()
def unpicklable_big(n: int):
    big = b"x" * n
    return [big, lambda: big]   # plain pickle fails part-way: cloudpickle starts again
