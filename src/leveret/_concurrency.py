"""``@leveret.concurrent``: one container runs several inputs at once; ``@leveret.batched``: one call
runs several inputs as lists (Modal's names and limits)."""

from __future__ import annotations

from .exception import InvalidError

MAX_CONCURRENT_INPUTS = 1000
ATTR = "__leveret_concurrent__"


def concurrent(_warn_parentheses_missing=None, *, max_inputs: int, target_inputs: int | None = None):
    """Let each container run up to ``max_inputs`` inputs at once; the autoscaler aims for
    ``target_inputs`` per container (default ``max_inputs``), so bursts fill containers up to
    ``max_inputs`` while new ones start. Async functions run their inputs on one event loop,
    others on threads. Goes below ``@app.function()``::

        @app.function()
        @leveret.concurrent(max_inputs=8)
        async def fetch(url): ...
    """
    if _warn_parentheses_missing is not None:
        raise InvalidError("use @leveret.concurrent(max_inputs=N) with its arguments, not @leveret.concurrent")
    for name, value in (("max_inputs", max_inputs), ("target_inputs", target_inputs)):
        if value is None and name == "target_inputs":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENT_INPUTS:
            raise InvalidError(f"@leveret.concurrent({name}={value!r}) must be a whole number from 1 to"
                               f" {MAX_CONCURRENT_INPUTS}")
    if target_inputs is not None and target_inputs > max_inputs:
        raise InvalidError(f"@leveret.concurrent(target_inputs={target_inputs}) must not exceed max_inputs={max_inputs}")

    def wrapper(f):
        from .function import Function

        if isinstance(f, Function):
            raise InvalidError("put @leveret.concurrent(...) below @app.function(), so it applies first")
        if not callable(f):
            raise InvalidError(f"@leveret.concurrent(...) decorates a function, not {f!r}")
        setattr(f, ATTR, (max_inputs, target_inputs or max_inputs))
        return f

    return wrapper


def of(f) -> tuple[int, int]:
    """(max_inputs, target_inputs) of a function: (1, 1) unless it is @concurrent."""
    return getattr(f, ATTR, (1, 1))


MAX_BATCH_SIZE = 1000
MAX_BATCH_WAIT_MS = 600_000
BATCHED = "__leveret_batched__"


def batched(_warn_parentheses_missing=None, *, max_batch_size: int, wait_ms: int):
    """Gather inputs from any callers into one call: the function takes a list for each argument
    and returns a list of results, one per input, in order. A batch runs once it has
    ``max_batch_size`` inputs, or ``wait_ms`` after its first came. Goes below ``@app.function()``
    (or on the one @method() of an ``@app.cls``)::

        @app.function()
        @leveret.batched(max_batch_size=32, wait_ms=100)
        def embed(texts: list[str]) -> list[list[float]]: ...

        embed.remote("one text")   # the caller sends and gets one item
    """
    if _warn_parentheses_missing is not None:
        raise InvalidError("use @leveret.batched(max_batch_size=N, wait_ms=M) with its arguments, not @leveret.batched")
    for name, value, low, high in (("max_batch_size", max_batch_size, 1, MAX_BATCH_SIZE),
                                   ("wait_ms", wait_ms, 0, MAX_BATCH_WAIT_MS)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidError(f"@leveret.batched({name}={value!r}) must be a whole number from {low} to {high}")

    def wrapper(f):
        from .function import Function

        if isinstance(f, Function):
            raise InvalidError("put @leveret.batched(...) below @app.function(), so it applies first")
        if not callable(f):
            raise InvalidError(f"@leveret.batched(...) decorates a function, not {f!r}")
        setattr(f, BATCHED, (max_batch_size, wait_ms))
        return f

    return wrapper


def batching_of(f) -> tuple[int, int]:
    """(max_batch_size, wait_ms) of a function (or of the @batched method of a class); (0, 0): not batched."""
    found = getattr(f, BATCHED, None)
    if found is None and isinstance(f, type):
        found = next((getattr(v, BATCHED) for klass in f.__mro__ for v in vars(klass).values()
                      if hasattr(v, BATCHED)), None)
    return found or (0, 0)
