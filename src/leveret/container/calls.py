"""The messages of a calls connection: what a function's code calls from inside its container
(``.remote``, ``.spawn``, ``FunctionCall.get``, ``Function.from_name`` …), asked of its worker,
which makes the call on the server with the container's token and answers.

    SDK in the container ─connects to the container's socket─▶ CallsOpen (version)
                        ─Lookup │ Bind │ Call │ CallGet │ CallCancel │ CallGraph (a tag each)─▶ worker ─▶ server
                        ◀─Reply │ Result (the same tag)─────────────────────
    a map:              ─MapStart, MapInputs … (last)─▶ ◀─MapOutputs … (acked: inputs the server
                        stored), then a Reply: the map is over (or failed)
    over 2 MiB:         ─Upload … (last)─▶ ◀─Reply (the blob's id), then the call names the blob;
                        ─Download (a result's blob id)─▶ ◀─Chunk …, Reply

A connection of its own, beside the bootstrap's: the bootstrap's thread runs the function while
the function waits on its call. Each request carries a tag its answer repeats, so one connection
carries any number of calls at once. Standard library only (the bootstrap's protocol package).
"""

from __future__ import annotations

import struct

from .fields import blobs_in, blobs_out, fits, names_in, names_out, texts_out
from .messages import VERSION, Message, _Batch

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
    KIND, _SCHEMA = 31, ("I", "I", "s", "s", "s")
    __slots__ = ("tag", "version", "app_name", "function_name", "environment")
    def __init__(self, tag: int, app_name: str, function_name: str, environment: str = "", version: int = 0):
        self.tag, self.app_name, self.function_name, self.environment = tag, app_name, function_name, environment
        self.version = version   # a deployed version (0: the live one)


class Call(Message):
    """Call a function (``op`` REMOTE: answered by its Result; SPAWN: by a Reply with the call's id)
    with pickled arguments (or, over the inline limit, the id of the blob they were uploaded to);
    ``call_id`` chosen by the caller, ``input_id`` the input the caller runs."""
    KIND, _SCHEMA = 32, ("I", "B", "s", "s", "s", "b", "s")
    __slots__ = ("tag", "op", "function_id", "call_id", "input_id", "args", "args_blob")
    def __init__(self, tag: int, op: int, function_id: str, call_id: str, input_id: str, args: bytes,
                 args_blob: str = ""):
        self.tag, self.op, self.function_id, self.call_id, self.input_id, self.args, self.args_blob = \
            tag, op, function_id, call_id, input_id, args, args_blob


class CallGet(Message):
    """Wait for a spawned call's result, at most ``timeout`` seconds (negative: no limit)."""
    KIND, _SCHEMA = 33, ("I", "d", "s")
    __slots__ = ("tag", "timeout", "call_id")
    def __init__(self, tag: int, call_id: str, timeout: float = -1.0):
        self.tag, self.call_id, self.timeout = tag, call_id, timeout


class CallCancel(Message):
    """Cancel a call's inputs that have not finished (``terminate``: and stop the containers running them)."""
    KIND, _SCHEMA = 34, ("I", "s", "?")
    __slots__ = ("tag", "call_id", "terminate")
    def __init__(self, tag: int, call_id: str, terminate: bool = False):
        self.tag, self.call_id, self.terminate = tag, call_id, terminate


class MapStart(Message):
    """Start a map of ``function_id`` (``call_id`` chosen by the caller, ``input_id`` the input the
    caller runs); its inputs follow in MapInputs of the same tag."""
    KIND, _SCHEMA = 35, ("I", "s", "s", "s")
    __slots__ = ("tag", "function_id", "call_id", "input_id")
    def __init__(self, tag: int, function_id: str, call_id: str, input_id: str = ""):
        self.tag, self.function_id, self.call_id, self.input_id = tag, function_id, call_id, input_id


class MapInputs(_Batch):
    """The next inputs of a map (pickled arguments, numbered in the order they come; ``blob_ids``
    "" unless the arguments were uploaded); ``last``: no more."""
    KIND, _SCHEMA = 36, ("I", "?", "*b", "*S")
    __slots__ = ("tag", "last", "args", "blob_ids")
    _HEAD = struct.Struct("=I?II")
    def __init__(self, tag: int, last: bool, args, blob_ids):
        self.tag, self.last, self.args, self.blob_ids = tag, last, args, blob_ids

    def pack(self) -> list:   # u32 tag, u8 last, u32 n, u32 blob ids' size; n u32 lengths; args, blob ids
        n = len(self.args)
        self._check(n)
        (data, lengths), ids = blobs_out(self.args), names_out(self.blob_ids)
        return [self._HEAD.pack(self.tag, self.last, n, len(ids)), struct.pack(f"={n}I", *lengths), data, ids]

    @classmethod
    def unpack(cls, body):
        tag, last, n, size = cls._HEAD.unpack_from(body, 0)
        lengths = struct.unpack_from(f"={n}I", body, cls._HEAD.size) if fits(n, 4, body) else ()
        args, off = blobs_in(body, cls._HEAD.size + 4 * n, lengths, "b")
        blob_ids, off = names_in(body, off, n, size)
        return cls(tag, last, args, blob_ids), off


class Upload(Message):
    """A chunk of the caller's arguments over the inline limit; after the ``last``, the worker
    answers with a Reply holding the blob's id, which the call then names."""
    KIND, _SCHEMA = 37, ("I", "?", "b")
    __slots__ = ("tag", "last", "data")
    def __init__(self, tag: int, last: bool, data: bytes):
        self.tag, self.last, self.data = tag, last, data


class Download(Message):
    """Read a result's blob (an output's ``blob_id``): answered by Chunk frames, then a Reply."""
    KIND, _SCHEMA = 38, ("I", "s")
    __slots__ = ("tag", "blob_id")
    def __init__(self, tag: int, blob_id: str):
        self.tag, self.blob_id = tag, blob_id


class CallGraph(Message):
    """Read the tree of calls made under a call: answered by a Reply whose ``value`` is a JSON list of
    its inputs' rows (FunctionCallGraphResponse's fields, in its order)."""
    KIND, _SCHEMA = 44, ("I", "s")
    __slots__ = ("tag", "call_id")
    def __init__(self, tag: int, call_id: str):
        self.tag, self.call_id = tag, call_id


class ObjectCall(Message):
    """A request on named objects (a Dict's get, a lookup by name …): the RPC's name and its request
    as protobuf's JSON mapping (bytes in base64), answered by a Reply whose ``value`` is the
    response the same way. The worker makes it with the container's token, for allowed RPCs only."""
    KIND, _SCHEMA = 45, ("I", "s", "s")
    __slots__ = ("tag", "method", "body")
    def __init__(self, tag: int, method: str, body: str):
        self.tag, self.method, self.body = tag, method, body


class VolumeSync(Message):
    """``vol.commit()`` or ``vol.reload()`` (``op``) of a volume mounted in the container: the worker
    does it on its directory; a Reply (``value``: the version the mount is at) once done."""
    KIND, _SCHEMA = 46, ("I", "s", "s")
    __slots__ = ("tag", "op", "volume_id")
    def __init__(self, tag: int, op: str, volume_id: str):
        self.tag, self.op, self.volume_id = tag, op, volume_id


class DirectOpen(Message):
    """The first frame of a direct connection, answered with an OK reply and a connection to the
    server's direct port made with the container's token (worker/direct_handover.py), on which
    the SDK then sends that port's frames (a Dict's and a Queue's calls: _shared/direct_frames.py)."""
    KIND, _SCHEMA = 47, ("H",)
    __slots__ = ("version",)
    def __init__(self, version: int = VERSION):
        self.version = version


class Chunk(Message):
    """A chunk of a blob being downloaded, in order."""
    KIND, _SCHEMA = 43, ("I", "b")
    __slots__ = ("tag", "data")
    def __init__(self, tag: int, data: bytes):
        self.tag, self.data = tag, data


class MapOutputs(_Batch):
    """Outputs of a map as the server stores them, a column per field (``blob_ids``: "" unless the
    data is over the inline limit); ``acked``: how many of its inputs the server has stored."""
    KIND, _SCHEMA = 42, ("I", "I", "*I", "*B", "*I", "*s", "*b", "*S")
    __slots__ = ("tag", "acked", "idxs", "statuses", "gen_indexes", "messages", "data", "blob_ids")
    _HEAD = struct.Struct("=IIII")
    def __init__(self, tag: int, acked: int, idxs, statuses, gen_indexes, messages, data, blob_ids):
        self.tag, self.acked, self.idxs, self.statuses = tag, acked, idxs, statuses
        self.gen_indexes, self.messages, self.data, self.blob_ids = gen_indexes, messages, data, blob_ids

    def pack(self) -> list:   # u32 tag, acked, n, blob ids' size; n u32 idxs, gen_indexes, data's and messages'
        n = len(self.idxs)    # lengths; n u8 statuses; blob ids joined by NUL, data, messages
        self._check(n)
        ids, (data, data_lengths), (messages, message_lengths) = \
            names_out(self.blob_ids), blobs_out(self.data), texts_out(self.messages)
        return [self._HEAD.pack(self.tag, self.acked, n, len(ids)), struct.pack(
            f"={4 * n}I{n}B", *self.idxs, *self.gen_indexes, *data_lengths, *message_lengths, *self.statuses),
            ids, data, messages]

    @classmethod
    def unpack(cls, body):
        tag, acked, n, size = cls._HEAD.unpack_from(body, 0)
        numbers = struct.unpack_from(f"={4 * n}I{n}B", body, cls._HEAD.size) if fits(n, 17, body) else ()
        blob_ids, off = names_in(body, cls._HEAD.size + 17 * n, n, size)
        data, off = blobs_in(body, off, numbers[2 * n:3 * n], "b")
        messages, off = blobs_in(body, off, numbers[3 * n:4 * n], "s")
        return cls(tag, acked, numbers[:n], numbers[4 * n:], numbers[n:2 * n], messages, data, blob_ids), off


class Bind(Message):
    """The function of an @app.cls (``function_id``) for a parameter set, or of a function with other
    options (``with_options``: JSON): answered by a Reply with its id."""
    KIND, _SCHEMA = 39, ("I", "s", "s", "s")
    __slots__ = ("tag", "function_id", "params", "options")
    def __init__(self, tag: int, function_id: str, params: str, options: str = ""):
        self.tag, self.function_id, self.params, self.options = tag, function_id, params, options


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


FROM_CALLER = frozenset({CallsOpen, DirectOpen, Lookup, Bind, Call, CallGet, CallCancel, CallGraph, ObjectCall, VolumeSync, MapStart,
                         MapInputs, Upload, Download})
TO_CALLER = frozenset({Reply, Result, MapOutputs, Chunk})
