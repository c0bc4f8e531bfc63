"""``@leveret.concurrent``: one container runs several inputs at once (Modal's names)."""

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
