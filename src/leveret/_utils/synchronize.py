"""One async implementation, a blocking API generated from it.

``@synchronize`` turns an ``async def`` method (or async generator method) into a method whose
plain call blocks, and whose ``.aio`` form is awaitable from any event loop::

    class Function:
        @synchronize
        async def remote(self, *args, **kwargs): ...

    f.remote(3)              # blocking
    await f.remote.aio(3)    # async

The coroutines run on the background loop of ``async_utils``, imported on first call: importing
this module stays cheap, because containers import leveret too.
"""

from __future__ import annotations

import functools

from .kinds import is_async_generator_function, is_coroutine_function


class _Bound:
    __slots__ = ("_f", "_obj", "_gen")

    def __init__(self, f, obj, gen: bool):
        self._f, self._obj, self._gen = f, obj, gen

    def __call__(self, *args, **kwargs):
        from .._shared.aio import iter_sync, run_sync

        if self._gen:
            return iter_sync(self._f(self._obj, *args, **kwargs))
        return run_sync(self._f(self._obj, *args, **kwargs))

    def aio(self, *args, **kwargs):
        from .._shared.aio import iter_async, run_async

        if self._gen:
            return iter_async(self._f(self._obj, *args, **kwargs))
        return run_async(self._f(self._obj, *args, **kwargs))


class synchronize:
    """Method decorator: see the module docstring."""

    def __init__(self, f):
        if not (is_coroutine_function(f) or is_async_generator_function(f)):
            raise TypeError(f"@synchronize needs an async def, got {f!r}")
        self._f = f
        self._gen = is_async_generator_function(f)
        functools.update_wrapper(self, f)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return _Bound(self._f, obj, self._gen)


class synchronize_classmethod(synchronize):
    """As ``synchronize``, for a classmethod: ``Sandbox.create(...)``, ``await Sandbox.create.aio(...)``."""

    def __get__(self, obj, objtype=None):
        return _Bound(self._f, objtype if objtype is not None else type(obj), self._gen)
