"""Errors shared by the SDK, the server and the worker; users see them as ``leveret.exception``. Each
message says what went wrong and how to fix it."""

from __future__ import annotations

import builtins


class Error(Exception):
    """Base class of every Leveret error."""


class InvalidError(Error):
    """An argument or option is not valid; the message names the fix."""


class NotFoundError(Error):
    """An app, function, call or named object with that name or id does not exist."""


class AlreadyExistsError(Error):
    """A named object of that name is there already (``X.objects.create(name)``); the message names it
    and how to use it or make room."""


class AuthError(Error):
    """The server refused the token."""


class ConnectionError(Error):  # noqa: A001 - Modal's name
    """No Leveret server could be reached."""


class DeserializationError(Error):
    """A payload did not load where it arrived: an input's arguments in its container (a module the
    image lacks, a library of another version than the caller's, a corrupt pickle); the message
    names the cause and the fix."""


class ResourceExhaustedError(Error):
    """The server ran out of something it needs to take the request (its storage is full, a payload
    is over its limit); the message says what, and how to make room."""


class ExecutionError(Error):
    """The platform failed to run an input (e.g. its container died)."""


class OutOfMemoryError(ExecutionError):
    """The input's container hit its memory limit and was killed; the message names the limit."""


class TimeoutError(Error, builtins.TimeoutError):  # noqa: A001 - Modal's name
    """Waiting for a result took longer than the timeout given. Also a builtin TimeoutError, as
    Modal's is: ``except TimeoutError:`` around ``FunctionCall.get(timeout=...)`` catches it."""


class FunctionTimeoutError(TimeoutError):
    """An input ran past its timeout (a builtin TimeoutError too, as Modal's)."""


class SandboxTerminatedError(Error):
    """The sandbox was terminated (Sandbox.terminate, `leveret container stop`, its app's stop)
    before its command ended: what ``wait()`` raises, unless ``raise_on_termination=False``."""


class SandboxTimeoutError(SandboxTerminatedError):
    """The sandbox reached its timeout (or idle_timeout) and was terminated."""


class InputCancellation(BaseException):
    """The input was cancelled (``FunctionCall.cancel()``, its app stopped, …): what waiting for its
    result raises, and what is raised inside its code if it was running. A BaseException, as
    Modal's: ``except Exception`` does not catch it."""


class RemoteError(Error):
    """A remote exception that could not be re-created locally as its own type.

    ``remote_type`` is the qualified name of the remote exception's class and ``remote_message``
    its text; the remote traceback is in ``remote_traceback`` and shown with the error.
    """

    def __init__(self, remote_type: str, remote_message: str, remote_traceback: str = ""):
        super().__init__(f"{remote_type}: {remote_message}")
        self.remote_type = remote_type
        self.remote_message = remote_message
        self.remote_traceback = remote_traceback


class NotImplementedOptionError(InvalidError):
    """An option that Leveret accepts by name but does not implement yet."""
