"""Leveret: run Python functions in containers on your own machines, with Modal's API.

``import leveret as modal`` runs a Modal program on Leveret. Importing this package is light:
no gRPC, no protobuf — containers import it too.
"""

from .app import App, LocalEntrypoint
from .exception import (
    AuthError,
    ConnectionError,
    Error,
    ExecutionError,
    FunctionTimeoutError,
    InputCancellation,
    InvalidError,
    NotFoundError,
    RemoteError,
    TimeoutError,
)
from .function import Function, FunctionCall

__version__ = "0.1.0"

__all__ = [
    "App",
    "AuthError",
    "ConnectionError",
    "Error",
    "ExecutionError",
    "Function",
    "FunctionCall",
    "FunctionTimeoutError",
    "InputCancellation",
    "InvalidError",
    "LocalEntrypoint",
    "NotFoundError",
    "RemoteError",
    "TimeoutError",
    "__version__",
]
