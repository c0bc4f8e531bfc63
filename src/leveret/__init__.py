"""Leveret: run Python functions in containers on your own machines, with Modal's API.

``import leveret as modal`` runs a Modal program on Leveret. Importing this package is light:
no gRPC, no protobuf — containers import it too.
"""

import os as _os

# Workers fork container processes from a process that runs gRPC threads; gRPC's fork handlers
# are not needed for fork+exec and can crash the child, so they are off unless asked for.
_os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

from ._concurrency import concurrent  # noqa: E402
from .app import App, LocalEntrypoint  # noqa: E402
from .exception import (  # noqa: E402
    AuthError,
    ConnectionError,
    Error,
    ExecutionError,
    FunctionTimeoutError,
    InputCancellation,
    InvalidError,
    NotFoundError,
    OutOfMemoryError,
    RemoteError,
    TimeoutError,
)
from .function import Function, FunctionCall  # noqa: E402
from .image import Image  # noqa: E402
from .retries import Retries  # noqa: E402
from .schedule import Cron, Period  # noqa: E402
from .secret import Secret  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "App",
    "AuthError",
    "ConnectionError",
    "Cron",
    "Error",
    "ExecutionError",
    "Function",
    "FunctionCall",
    "FunctionTimeoutError",
    "Image",
    "InputCancellation",
    "InvalidError",
    "LocalEntrypoint",
    "NotFoundError",
    "OutOfMemoryError",
    "Period",
    "RemoteError",
    "Retries",
    "Secret",
    "TimeoutError",
    "__version__",
    "concurrent",
]
