"""The messages of a calls connection: what a function's code calls from inside its container
(``.remote``, ``.spawn``, ``FunctionCall.get``, ``Function.from_name`` …), asked of its worker,
which makes the call on the server with the container's token and answers.

    SDK in the container ─connects to the container's socket─▶ CallsOpen (version)
                        ─Lookup │ Call │ CallGet │ CallCancel (a tag each)─▶ worker ─▶ server
                        ◀─Reply │ Result (the same tag)─────────────────────

A connection of its own, beside the bootstrap's: the bootstrap's thread runs the function while
the function waits on its call. Each request carries a tag its answer repeats, so one connection
carries any number of calls at once. Standard library only (the bootstrap's protocol package).
"""

from __future__ import annotations

from .messages import VERSION, Message

# Call ops
REMOTE, SPAWN = 1, 2

# Reply errors (0: none); the SDK raises the exception each stands for
NOT_FOUND, REFUSED, INVALID, TIMED_OUT, FAILED = 1, 2, 3, 4, 5


class CallsOpen(Message):
    """The first frame of a calls connection (not the bootstrap's): what follows are calls."""
    KIND, _SCHEMA = 30, ("H",)
    __slots__ = ("version",)
    def __init__(self, version: int = VERSION):
        self.version = version


class Lookup(Message):
    """Find a function: of a deployed app by its name, or (``app_name`` "") of this container's app."""
    KIND, _SCHEMA = 31, ("I", "s", "s", "s")
    __slots__ = ("tag", "app_name", "function_name", "environment")
    def __init__(self, tag: int, app_name: str, function_name: str, environment: str = ""):
        self.tag, self.app_name, self.function_name, self.environment = tag, app_name, function_name, environment


class Call(Message):
    """Call a function (``op`` REMOTE: answered by its Result; SPAWN: by a Reply with the call's id)
    with pickled arguments; ``call_id`` chosen by the caller, ``input_id`` the input the caller runs."""
    KIND, _SCHEMA = 32, ("I", "B", "s", "s", "s", "b")
    __slots__ = ("tag", "op", "function_id", "call_id", "input_id", "args")
    def __init__(self, tag: int, op: int, function_id: str, call_id: str, input_id: str, args: bytes):
        self.tag, self.op, self.function_id, self.call_id, self.input_id, self.args = \
            tag, op, function_id, call_id, input_id, args


class CallGet(Message):
    """Wait for a spawned call's result, at most ``timeout`` seconds (negative: no limit)."""
    KIND, _SCHEMA = 33, ("I", "d", "s")
    __slots__ = ("tag", "timeout", "call_id")
    def __init__(self, tag: int, call_id: str, timeout: float = -1.0):
        self.tag, self.call_id, self.timeout = tag, call_id, timeout


class CallCancel(Message):
    """Cancel a call's inputs that have not finished."""
    KIND, _SCHEMA = 34, ("I", "s")
    __slots__ = ("tag", "call_id")
    def __init__(self, tag: int, call_id: str):
        self.tag, self.call_id = tag, call_id


class Reply(Message):
    """The answer to a request that is not an output: ``error`` (0: none) and its message, else
    ``value`` (a Lookup's function id, a spawn's call id) and ``flag`` (a Lookup: a generator)."""
    KIND, _SCHEMA = 40, ("I", "B", "?", "s", "s")
    __slots__ = ("tag", "error", "flag", "value", "message")
    def __init__(self, tag: int, error: int = 0, message: str = "", value: str = "", flag: bool = False):
        self.tag, self.error, self.message, self.value, self.flag = tag, error, message, value, flag


class Result(Message):
    """A call's output (a remote's, or what CallGet waited for): its status, data and message as an
    output's; ``blob_id`` instead of data when it is over the inline limit."""
    KIND, _SCHEMA = 41, ("I", "B", "I", "s", "b", "s")
    __slots__ = ("tag", "status", "gen_index", "message", "data", "blob_id")
    def __init__(self, tag: int, status: int, gen_index: int = 0, message: str = "", data: bytes = b"",
                 blob_id: str = ""):
        self.tag, self.status, self.gen_index, self.message, self.data, self.blob_id = \
            tag, status, gen_index, message, data, blob_id


FROM_CALLER = frozenset({CallsOpen, Lookup, Call, CallGet, CallCancel})
TO_CALLER = frozenset({Reply, Result})
