"""Leveret: run Python functions in containers on your own machines, with Modal's API.

``import leveret as modal`` runs a Modal program on Leveret. Importing this package is light:
no gRPC, no protobuf — containers import it too. Its public names are imported when first used
(``leveret.App``, ``from leveret import Image``), so that the server and workers, which live in
this package too, import none of the SDK's objects.
"""

import os as _os

# Workers fork container processes from a process that runs gRPC threads; gRPC's fork handlers
# are not needed for fork+exec and can crash the child, so they are off unless asked for.
_os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
# gRPC's core would print each failed TLS handshake (a retry's too) as an INFO line of its own on
# stderr; what failed reaches the user as Leveret's error instead, naming the fix.
_os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

__version__ = "0.1.0"

# Each public name and the module that defines it.
_PUBLIC = {
    "App": "app", "LocalEntrypoint": "app",
    "AlreadyExistsError": "exception", "AuthError": "exception", "ConnectionError": "exception", "Error": "exception",
    "ExecutionError": "exception", "FunctionTimeoutError": "exception", "InputCancellation": "exception",
    "InvalidError": "exception", "NotFoundError": "exception", "OutOfMemoryError": "exception",
    "RemoteError": "exception", "TimeoutError": "exception",
    "Function": "function", "FunctionCall": "function", "gather": "function",
    "current_function_call_id": "_context", "current_input_id": "_context", "is_local": "_context",
    "enable_output": "_output",
    "Cls": "cls", "enter": "cls", "exit": "cls", "method": "cls", "parameter": "cls",
    "Image": "image",
    "Retries": "retries",
    "Cron": "schedule", "Period": "schedule",
    "Secret": "secret", "Dict": "dict", "Queue": "queue", "Volume": "volume", "CloudBucketMount": "cloud_bucket_mount",
    "batched": "_concurrency", "concurrent": "_concurrency",
    "fastapi_endpoint": "web", "web_endpoint": "web", "asgi_app": "web", "wsgi_app": "web", "web_server": "web",
    "forward": "tunnel", "Tunnel": "tunnel",
    "Sandbox": "sandbox", "ContainerProcess": "sandbox", "Probe": "probe",
    "OutboundPolicy": "outbound", "OutboundRoute": "outbound",
    "SandboxTerminatedError": "exception", "SandboxTimeoutError": "exception",
}

# Modules named as Modal's (``from leveret.functions import FunctionCall``).
_SUBMODULES = ("functions", "queue", "dict", "volume", "cloud_bucket_mount", "container_process", "cls", "app",
               "image", "secret", "exception", "retries", "schedule", "web", "sandbox", "stream_type", "io_streams",
               "experimental")

__all__ = sorted([*_PUBLIC, "__version__"])

# Modal's names that Leveret does not have yet: using one says so, and what to use meanwhile.
_NOT_YET = {
    "NetworkFileSystem": "use leveret.Volume (volumes=...) for files shared between containers",
    "Mount": "Modal deprecated it too: add local files to the image with Image.add_local_dir / add_local_file",
    "interact": "run the function under `leveret shell APP_FILE::FUNCTION` for an interactive session",
}


def __getattr__(name: str):
    """A public name, imported at its first use; the modules defining them (``leveret.exception``) likewise."""
    import importlib

    if name in _PUBLIC:
        value = getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)
        globals()[name] = value   # the next use is a plain attribute
        return value
    if name in _PUBLIC.values() or name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NOT_YET:
        refused = importlib.import_module(f"{__name__}.exception").NotImplementedOptionError
        raise refused(f"leveret.{name} is not supported yet: {_NOT_YET[name]}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
