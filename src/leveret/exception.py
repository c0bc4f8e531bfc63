"""Exceptions raised by Leveret. Each message says what went wrong and how to fix it."""

from __future__ import annotations

from ._shared.errors import (AlreadyExistsError, AuthError, ConnectionError, DeserializationError,  # noqa: A004
                             Error, ExecutionError, FunctionTimeoutError, InputCancellation, InvalidError,
                             NotFoundError, NotImplementedOptionError, OutOfMemoryError, RemoteError,
                             ResourceExhaustedError, SandboxTerminatedError, SandboxTimeoutError, TimeoutError)

__all__ = ["AlreadyExistsError", "AuthError", "ConnectionError", "DeserializationError", "Error", "ExecutionError",
           "FunctionTimeoutError", "InputCancellation", "InvalidError", "NotFoundError", "NotImplementedOptionError",
           "OutOfMemoryError", "RemoteError", "ResourceExhaustedError", "SandboxTerminatedError", "SandboxTimeoutError",
           "TimeoutError"]

for _name in __all__:   # tracebacks and pickles name them as users import them
    globals()[_name].__module__ = __name__
del _name
