"""Arguments in, results and exceptions out: cloudpickle on both ends, never unpickled by the server."""

from __future__ import annotations

from ._shared.status import OutputStatus
from ._traceback import FRAMES, REMOTE_NOTE
from .exception import (DeserializationError, ExecutionError, FunctionTimeoutError, InputCancellation, OutOfMemoryError,
                        RemoteError)

_OWN_ERRORS = {"leveret.exception.DeserializationError": DeserializationError}

SUCCESS, FAILURE, GENERATOR_ITEM, GENERATOR_DONE, CANCELLED, TIMEOUT, INTERNAL_FAILURE, OUT_OF_MEMORY = OutputStatus


def serialize_args(args: tuple, kwargs: dict) -> bytes:
    import cloudpickle   # imported here, not at the top: containers import leveret too

    return cloudpickle.dumps((args, kwargs))


_PLAIN = frozenset({str, bytes, int, float, bool, type(None)})


def serialize(value) -> bytes:
    if type(value) in _PLAIN:   # pickle writes these the very bytes cloudpickle does, ten times sooner
        from _pickle import dumps

        return dumps(value, 5)   # cloudpickle's protocol: pickle's highest
    import cloudpickle

    return cloudpickle.dumps(value)


def deserialize(data: bytes):
    from _pickle import loads

    return loads(data)   # what cloudpickle wrote loads with pickle (it imports cloudpickle if needed)


def output_value(status: int, data: bytes, message: str):
    """The value of a successful output; raise the exception a failed one stands for."""
    if status in (SUCCESS, GENERATOR_ITEM):
        return deserialize(data)
    raise output_exception(status, data, message)


def output_value_from_file(status: int, f, message: str):
    """``output_value`` for data in a file (a large payload: unpickled as it is read)."""
    if status in (SUCCESS, GENERATOR_ITEM):
        from _pickle import load

        return load(f)
    raise output_exception(status, f.read(), message)


def output_exception(status: int, data: bytes, message: str) -> BaseException:
    if status in (FAILURE, INTERNAL_FAILURE) and data:
        return exception_from_payload(data)
    if status == CANCELLED:
        return InputCancellation(message or "the input was cancelled")
    if status == TIMEOUT:
        return FunctionTimeoutError(message or "the input timed out")
    if status == OUT_OF_MEMORY:
        return OutOfMemoryError(message or "the container ran out of memory")
    return ExecutionError(message or "the input failed on the platform")


def exception_from_payload(data: bytes) -> BaseException:
    """Re-create a remote exception as its own type if it loads here, else as RemoteError."""
    info = deserialize(data)
    exc: BaseException | None = None
    if info.get("exc"):
        try:
            exc = deserialize(info["exc"])
        except Exception:
            exc = None
    if not isinstance(exc, BaseException):
        own = _OWN_ERRORS.get(info["type"])   # one of ours, named by code that cannot import it (the bootstrap)
        exc = own(info["message"]) if own else RemoteError(info["type"], info["message"], info["traceback"])
    tb = info.get("traceback", "")
    if tb and hasattr(exc, "add_note"):
        exc.add_note(REMOTE_NOTE + tb.rstrip())
    if info.get("frames"):
        try:   # (for _traceback.render: the function's frames without Leveret's)
            setattr(exc, FRAMES, [tuple(f) for f in info["frames"]])
        except AttributeError:   # an exception type that takes no attributes: its note stays
            pass
    return exc
