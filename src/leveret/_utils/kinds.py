"""What kind of function a callable is, read from its code flags.

``inspect`` costs about 10 ms to import, and containers import leveret with the user's module,
so it is imported only for callables without code of their own (partials, callable objects).
"""

from __future__ import annotations

CO_GENERATOR, CO_COROUTINE, CO_ASYNC_GENERATOR = 0x20, 0x80, 0x200


def _flags(f) -> int | None:
    code = getattr(getattr(f, "__func__", f), "__code__", None)
    return None if code is None else code.co_flags


def is_coroutine_function(f) -> bool:
    flags = _flags(f)
    if flags is None:
        import inspect

        return inspect.iscoroutinefunction(f)
    return bool(flags & CO_COROUTINE)


def is_async_generator_function(f) -> bool:
    flags = _flags(f)
    if flags is None:
        import inspect

        return inspect.isasyncgenfunction(f)
    return bool(flags & CO_ASYNC_GENERATOR)


def is_generator_function(f) -> bool:
    """A sync or an async generator function."""
    flags = _flags(f)
    if flags is None:
        import inspect

        return inspect.isgeneratorfunction(f) or inspect.isasyncgenfunction(f)
    return bool(flags & (CO_GENERATOR | CO_ASYNC_GENERATOR))
