"""@batched functions and classes (tests/integration/test_batching.py)."""

import leveret

app = leveret.App("batching")


@app.function()
@leveret.batched(max_batch_size=8, wait_ms=300)
def double(xs):
    """Each input's result, and the size of the batch it ran in."""
    return [(2 * x, len(xs)) for x in xs]


@app.function()
@leveret.batched(max_batch_size=4, wait_ms=50)
def pairs(a, b, *, scale=1):
    return [(x + y) * s for x, y, s in zip(a, b, scale)]


@app.function()
@leveret.batched(max_batch_size=4, wait_ms=10)
def wrong_count(xs):
    return xs[:-1]


@app.function()
@leveret.batched(max_batch_size=4, wait_ms=10)
def raises(xs):
    raise ValueError(f"bad batch of {len(xs)}")


@app.cls()
class Embedder:
    dim: int = leveret.parameter(default=2)

    @leveret.method()
    @leveret.batched(max_batch_size=5, wait_ms=200)
    def embed(self, texts):
        return [[len(t)] * self.dim for t in texts]
