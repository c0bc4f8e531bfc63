"""The messages between a worker and the bootstrap of each of its containers: a class a kind,
its number on the wire and its fields (README.md beside this file has the table). A message packs
its body and unpacks one (frames.py puts the header on); a batch (Inputs, Outputs) holds a column
per field, row i the i-th of each. Standard library only: the bootstrap imports it.
"""

from __future__ import annotations

import struct

from .fields import FIXED, U32x2, blobs_in, blobs_out, fits, get, names_in, names_out, put, texts_out

VERSION = 4   # the first field of Hello and Warm; a container and a worker of different versions do not talk

STATUS_SUCCESS = 1
STATUS_FAILURE = 2
STATUS_GENERATOR_ITEM = 3
STATUS_GENERATOR_DONE = 4
STATUS_CANCELLED = 5
STATUS_INTERNAL_FAILURE = 7

# A failure's message is its one line ("KeyError: 'x'"), then this mark and its traceback (the
# function's frames, not Leveret's); the worker sends the two apart (Output.message, .traceback).
TRACEBACK_MARK = "\x1e"
TRACEBACK_LIMIT = 16 * 1024   # characters of a traceback kept: its end (the frame that raised) past that

# Payloads over the inline limit travel as Blob chunks before their input (its args then None) or
# output (its data None); the worker relays them to and from the server's blobs. The same numbers
# as leveret/_wire/blobs.py (the bootstrap imports nothing of leveret).
INLINE_LIMIT = 2 * 1024 * 1024
MAX_PAYLOAD = 4 * 1024 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024

KINDS: dict = {}   # kind -> its message class
_OUTPUTS = struct.Struct("=dII")


class Message:
    """A frame's content. ``KIND`` is its number on the wire; ``_SCHEMA`` has a code per slot
    (fields.py): the fixed-size fields pack in one struct, in field order, then each other field."""

    __slots__ = ()
    KIND, _SCHEMA = 0, ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.KIND:   # an abstract message
            return
        fixed = [i for i, code in enumerate(cls._SCHEMA) if code in FIXED]
        cls._fixed = struct.Struct("=" + "".join(cls._SCHEMA[i] for i in fixed))
        cls._fixed_at = tuple(fixed)
        cls._var_at = tuple((i, code) for i, code in enumerate(cls._SCHEMA) if i not in fixed)
        cls._columns = tuple(name for name, code in zip(cls.__slots__, cls._SCHEMA) if code[0] == "*")
        assert cls.KIND not in KINDS and len(cls._SCHEMA) == len(cls.__slots__), cls
        KINDS[cls.KIND] = cls

    def __eq__(self, other):   # columns equal as lists, whatever sequence they are
        return type(other) is type(self) and all((list(a) == list(b)) if code[0] == "*" else a == b
                                                 for code, a, b in zip(self._SCHEMA, self._values(), other._values()))

    __hash__ = None

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self.__slots__)})"

    def _values(self) -> list:
        return [getattr(self, name) for name in self.__slots__]

    def pack(self) -> list:
        """Its body, as parts to join."""
        values = self._values()
        out = [self._fixed.pack(*[values[i] for i in self._fixed_at])]
        for i, code in self._var_at:
            put(code, values[i], out)
        return out

    @classmethod
    def unpack(cls, body):
        """The message whose body starts ``body``, and where its body ends."""
        values = [None] * len(cls._SCHEMA)
        for i, v in zip(cls._fixed_at, cls._fixed.unpack_from(body, 0)):
            values[i] = v
        off = cls._fixed.size
        for i, code in cls._var_at:
            values[i], off = get(code, body, off)
        msg = cls.__new__(cls)
        for name, value in zip(cls.__slots__, values):
            setattr(msg, name, value)
        return msg, off


class _Batch(Message):
    """A message whose fields are columns, row i the i-th of each: a few C calls a column, whatever
    the rows, where a tuple a row costs Python objects and calls each. It packs its body with all
    its numbers in one struct."""
    __slots__ = ()

    @classmethod
    def of(cls, rows: list, *rest):
        """The message of ``rows`` (tuples of its columns' fields), then its other fields."""
        return cls(*(zip(*rows) if rows else [()] * len(cls._columns)), *rest)

    def rows(self) -> list:
        return list(zip(*[getattr(self, name) for name in self._columns]))

    def _check(self, n: int) -> None:
        if any(len(getattr(self, name)) != n for name in self._columns):
            raise ValueError("its columns differ in length")


# ----------------------------------------------------------------------------- container → worker


class Hello(Message):
    """The function is imported (or failed to be: its inputs then fail): the container takes inputs."""
    KIND, _SCHEMA = 1, ("H", "d", "d", "d", "?", "s")
    __slots__ = ("version", "started_at", "import_started_at", "ready_at", "import_error", "python")
    def __init__(self, started_at: float, import_started_at: float, ready_at: float, import_error: bool = False,
                 python: str = "", version: int = VERSION):
        self.version, self.started_at, self.import_started_at = version, started_at, import_started_at
        self.ready_at, self.import_error, self.python = ready_at, import_error, python


class Warm(Message):
    """A warm container is up, without a function (what loading one imports is imported): it waits for a Load."""
    KIND, _SCHEMA = 2, ("H", "d")
    __slots__ = ("version", "started_at")
    def __init__(self, started_at: float, version: int = VERSION):
        self.version, self.started_at = version, started_at


class Rejoin(Message):
    """A container whose worker went away (killed, restarted) is connected again, to the worker that
    took its place: ``held``, the inputs it holds (running, or sent and not finished), each id with
    its attempt (decimal). Its first frame on the new connection, instead of Hello."""
    KIND, _SCHEMA = 7, ("H", "m")
    __slots__ = ("version", "held")
    def __init__(self, held: dict, version: int = VERSION):
        self.version, self.held = version, held


class Outputs(_Batch):
    """Outputs, a column per field: data None when it went as Blob chunks just before; ``busy_s``:
    the time spent running inputs since the previous batch."""
    KIND, _SCHEMA = 3, ("*S", "*I", "*B", "*o", "*I", "*s", "d")
    __slots__ = ("input_ids", "attempts", "statuses", "data", "gen_indexes", "messages", "busy_s")
    def __init__(self, input_ids, attempts, statuses, data, gen_indexes, messages, busy_s: float = 0.0):
        self.input_ids, self.attempts, self.statuses, self.data = input_ids, attempts, statuses, data
        self.gen_indexes, self.messages, self.busy_s = gen_indexes, messages, busy_s

    def pack(self) -> list:   # f64 busy_s, u32 n, u32 ids' size; n u32 attempts, gen_indexes, data's
        n = len(self.input_ids)   # lengths, messages' lengths; n u8 statuses; ids, data, messages
        self._check(n)
        ids, (data, data_lengths), (messages, message_lengths) = \
            names_out(self.input_ids), blobs_out(self.data), texts_out(self.messages)
        return [_OUTPUTS.pack(self.busy_s, n, len(ids)), struct.pack(
            f"={4 * n}I{n}B", *self.attempts, *self.gen_indexes, *data_lengths, *message_lengths, *self.statuses),
            ids, data, messages]

    @classmethod
    def unpack(cls, body):
        busy_s, n, size = _OUTPUTS.unpack_from(body, 0)
        numbers = struct.unpack_from(f"={4 * n}I{n}B", body, _OUTPUTS.size) if fits(n, 17, body) else ()
        input_ids, off = names_in(body, _OUTPUTS.size + 17 * n, n, size)
        data, off = blobs_in(body, off, numbers[2 * n:3 * n], "o")
        messages, off = blobs_in(body, off, numbers[3 * n:4 * n], "s")
        return cls(input_ids, numbers[:n], numbers[4 * n:], data, numbers[n:2 * n], messages, busy_s), off


class Log(Message):
    """Text the function wrote to ``fd`` (1, 2) while running ``input_id`` ("" between inputs)."""
    KIND, _SCHEMA = 4, ("B", "s", "s")
    __slots__ = ("fd", "text", "input_id")
    def __init__(self, fd: int, text: str, input_id: str = ""):
        self.fd, self.text, self.input_id = fd, text, input_id


class Lifecycle(Message):
    """(Not sent yet.) An @app.cls container's @enter or @exit ran: status and data as an output's."""
    KIND, _SCHEMA = 5, ("B", "B", "b", "s")
    __slots__ = ("phase", "status", "data", "message")
    ENTER, EXIT = 1, 2   # phases
    def __init__(self, phase: int, status: int, data: bytes = b"", message: str = ""):
        self.phase, self.status, self.data, self.message = phase, status, data, message


class ExecExit(Message):
    """(Not sent yet.) An exec session's command ended with ``code`` (negative: a signal)."""
    KIND, _SCHEMA = 6, ("s", "i")
    __slots__ = ("exec_id", "code")
    def __init__(self, exec_id: str, code: int):
        self.exec_id, self.code = exec_id, code


# ----------------------------------------------------------------------------- both ways


class Blob(Message):
    """A chunk of a payload over the inline limit: arguments before their input, a result before its output."""
    KIND, _SCHEMA = 10, ("s", "b")
    __slots__ = ("input_id", "data")
    def __init__(self, input_id: str, data: bytes):
        self.input_id, self.data = input_id, data


class BlobAbort(Message):
    """Drop the chunks of ``input_id``'s payload sent so far: writing it failed part-way."""
    KIND, _SCHEMA = 11, ("s",)
    __slots__ = ("input_id",)
    def __init__(self, input_id: str):
        self.input_id = input_id


class Body(Message):
    """More of a running input's request, in order (container/feeds.py): a piece of its web request's
    body, a message of its WebSocket; ``end``: the last. (Sent to the container only.)"""
    KIND, _SCHEMA = 12, ("s", "b", "?")
    __slots__ = ("input_id", "data", "end")
    def __init__(self, input_id: str, data: bytes, end: bool = False):
        self.input_id, self.data, self.end = input_id, data, end


class ExecData(Message):
    """(Not sent yet.) An exec session's stdin (fd 0, to the container) or stdout / stderr (1, 2,
    from it); empty data: that stream ended."""
    KIND, _SCHEMA = 13, ("s", "B", "b")
    __slots__ = ("exec_id", "fd", "data")
    def __init__(self, exec_id: str, fd: int, data: bytes):
        self.exec_id, self.fd, self.data = exec_id, fd, data


# ----------------------------------------------------------------------------- worker → container


class Load(Message):
    """A warm container's function: its spec, its code's files (path, content), its container id from
    now on, and what it adds to the environment (the function's secrets)."""
    KIND, _SCHEMA = 20, ("m", "f", "s", "m")
    __slots__ = ("spec", "files", "container_id", "env")
    def __init__(self, spec: dict, files: list, container_id: str, env: dict):
        self.spec, self.files, self.container_id, self.env = spec, files, container_id, env


class Inputs(_Batch):
    """Inputs, a column per field: args None when they came as Blob chunks just before; call_ids
    the call each belongs to (``leveret.current_function_call_id()``)."""
    KIND, _SCHEMA = 21, ("*S", "*I", "*o", "*S")
    __slots__ = ("input_ids", "attempts", "args", "call_ids")
    _HEAD = struct.Struct("=III")
    def __init__(self, input_ids, attempts, args, call_ids=None):
        self.input_ids, self.attempts, self.args = input_ids, attempts, args
        self.call_ids = [""] * len(input_ids) if call_ids is None else call_ids

    def pack(self) -> list:   # u32 n, u32 ids' size, u32 call ids' size; n u32 attempts, args' lengths; ids, args, call ids
        n = len(self.input_ids)
        self._check(n)
        ids, (args, lengths), calls = names_out(self.input_ids), blobs_out(self.args), names_out(self.call_ids)
        return [self._HEAD.pack(n, len(ids), len(calls)), struct.pack(f"={2 * n}I", *self.attempts, *lengths),
                ids, args, calls]

    @classmethod
    def unpack(cls, body):
        n, size, calls_size = cls._HEAD.unpack_from(body, 0)
        numbers = struct.unpack_from(f"={2 * n}I", body, 12) if fits(n, 8, body) else ()
        input_ids, off = names_in(body, 12 + 8 * n, n, size)
        args, off = blobs_in(body, off, numbers[n:], "o")
        call_ids, off = names_in(body, off, n, calls_size)
        return cls(input_ids, numbers[:n], args, call_ids), off


class Stop(Message):
    """Finish what runs, then exit."""
    KIND = 22
    __slots__ = ()


class Cancel(Message):
    """Stop running one input (its call was cancelled): its code is interrupted (cancel.py), or it is
    skipped if it has not started, and it ends CANCELLED; the container goes on with the others. One
    that finished, or is unknown, is ignored."""
    KIND, _SCHEMA = 23, ("s",)
    __slots__ = ("input_id",)
    def __init__(self, input_id: str):
        self.input_id = input_id


class ExecStart(Message):
    """(Not sent yet.) Run a command in the container: an exec session."""
    KIND, _SCHEMA = 24, ("s", "S", "m", "s")
    __slots__ = ("exec_id", "argv", "env", "cwd")
    def __init__(self, exec_id: str, argv: list, env: dict, cwd: str = ""):
        self.exec_id, self.argv, self.env, self.cwd = exec_id, argv, env, cwd


FROM_CONTAINER = frozenset({Hello, Warm, Rejoin, Outputs, Log, Lifecycle, ExecExit, Blob, BlobAbort, Body, ExecData})
TO_CONTAINER = frozenset({Load, Inputs, Stop, Cancel, ExecStart, Blob, BlobAbort, Body, ExecData})
