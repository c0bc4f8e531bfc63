"""The protocol between a worker and the bootstrap of each of its containers, over a unix socket.

Standard library only, and no pickle of frames: what a container sends is data the worker reads
with struct, never code it runs; the user's arguments and results travel inside as opaque bytes.
The worker imports it as ``leveret.container.protocol``, the bootstrap from the file beside it.
README.md beside it has the frame layout and every kind.
"""

from __future__ import annotations

import io
import os
import struct

VERSION = 1   # the first field of Hello and Warm; a container and a worker of different versions do not talk

# Numbers are in the host's byte order (the socket never leaves it: both ends run on one host).
HEADER = struct.Struct("=IB")   # body length, kind: the same in every version
MAX_FRAME = 1 << 30

STATUS_SUCCESS = 1
STATUS_FAILURE = 2
STATUS_GENERATOR_ITEM = 3
STATUS_GENERATOR_DONE = 4
STATUS_INTERNAL_FAILURE = 7

# The environment the worker sets for the bootstrap.
ENV_SOCKET = "LEVERET_CONTAINER_SOCKET"
ENV_FUNCTION = "LEVERET_FUNCTION_SPEC"   # "key=value" lines: module, name, mount_dir, serialized_path, max_inputs
ENV_CONTAINER_ID = "LEVERET_CONTAINER_ID"

RUNNING_FILE = "running"   # beside the socket: the input a one-at-a-time container is running
MARKER_SIZE = 256

# Payloads over the inline limit travel as Blob chunks before their input (its args then None) or
# output (its data None); the worker relays them to and from the server's blobs. The same numbers
# as leveret/_wire/blobs.py (the bootstrap imports nothing of leveret).
INLINE_LIMIT = 2 * 1024 * 1024
MAX_PAYLOAD = 4 * 1024 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024

# Field codes: a struct code (fixed size), "s" str, "b" bytes, "o" bytes or None, "S" list of names
# (str without NUL: ids, argv, paths, the environment), "m" dict of names, "f" list of (name, bytes);
# "*" and one of those: a batch's column (batches encode themselves: Inputs, Outputs).
_FIXED = frozenset("BHIQid?")
_ABSENT = 0xFFFFFFFF   # the length of an "o" that is None
_U16, _U32, _U32x2, _OUTPUTS = struct.Struct("=H"), struct.Struct("=I"), struct.Struct("=II"), struct.Struct("=dII")
_BY_KIND: dict = {}


class ProtocolError(ValueError):
    """A frame that cannot be read or written: the container that sent it is ended, never the worker."""


class VersionMismatch(ProtocolError):
    """The other side speaks another version of the protocol."""


class Message:
    """A frame's content. ``KIND`` is its number on the wire; ``_SCHEMA`` has a code per slot."""

    __slots__ = ()
    KIND, _SCHEMA = 0, ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.KIND:   # an abstract message
            return
        fixed = [i for i, code in enumerate(cls._SCHEMA) if code in _FIXED]
        cls._fixed = struct.Struct("=" + "".join(cls._SCHEMA[i] for i in fixed))
        cls._fixed_at = tuple(fixed)
        cls._var_at = tuple((i, code) for i, code in enumerate(cls._SCHEMA) if i not in fixed)
        cls._columns = tuple(name for name, code in zip(cls.__slots__, cls._SCHEMA) if code[0] == "*")
        assert cls.KIND not in _BY_KIND and len(cls._SCHEMA) == len(cls.__slots__), cls
        _BY_KIND[cls.KIND] = cls

    def __eq__(self, other):   # columns equal as lists, whatever sequence they are
        return type(other) is type(self) and all((list(a) == list(b)) if code[0] == "*" else a == b
                                                 for code, a, b in zip(self._SCHEMA, self._values(), other._values()))

    __hash__ = None

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self.__slots__)})"

    def _values(self) -> list:
        return [getattr(self, name) for name in self.__slots__]


class _Batch(Message):
    """A message whose fields are columns, row i the i-th of each: a few C calls a column, whatever
    the rows, where a tuple a row costs Python objects and calls each. It encodes itself (``_pack``
    its body, ``_unpack`` a body) with all its numbers in one struct."""
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
    """A warm container is up, leveret imported, without a function: it waits for a Load."""
    KIND, _SCHEMA = 2, ("H", "d")
    __slots__ = ("version", "started_at")
    def __init__(self, started_at: float, version: int = VERSION):
        self.version, self.started_at = version, started_at


class Outputs(_Batch):
    """Outputs, a column per field: data None when it went as Blob chunks just before; ``busy_s``:
    the time spent running inputs since the previous batch."""
    KIND, _SCHEMA = 3, ("*S", "*I", "*B", "*o", "*I", "*s", "d")
    __slots__ = ("input_ids", "attempts", "statuses", "data", "gen_indexes", "messages", "busy_s")
    def __init__(self, input_ids, attempts, statuses, data, gen_indexes, messages, busy_s: float = 0.0):
        self.input_ids, self.attempts, self.statuses, self.data = input_ids, attempts, statuses, data
        self.gen_indexes, self.messages, self.busy_s = gen_indexes, messages, busy_s

    def _pack(self) -> list:   # f64 busy_s, u32 n, u32 ids' size; n u32 attempts, gen_indexes, data's
        n = len(self.input_ids)   # lengths, messages' lengths; n u8 statuses; ids, data, messages
        self._check(n)
        ids, (data, data_lengths), (messages, message_lengths) = \
            _names_out(self.input_ids), _blobs_out(self.data), _texts_out(self.messages)
        return [_OUTPUTS.pack(self.busy_s, n, len(ids)), struct.pack(
            f"={4 * n}I{n}B", *self.attempts, *self.gen_indexes, *data_lengths, *message_lengths, *self.statuses),
            ids, data, messages]

    @classmethod
    def _unpack(cls, body):
        busy_s, n, size = _OUTPUTS.unpack_from(body, 0)
        numbers = struct.unpack_from(f"={4 * n}I{n}B", body, _OUTPUTS.size) if _fits(n, 17, body) else ()
        input_ids, off = _names_of(body, _OUTPUTS.size + 17 * n, n, size)
        data, off = _blobs(body, off, numbers[2 * n:3 * n], "o")
        messages, off = _blobs(body, off, numbers[3 * n:4 * n], "s")
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
    """(Not sent yet.) A chunk of a web endpoint's request body (to the container) or response body
    (from it), in order; ``end``: the last."""
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
    """Inputs, a column per field: args None when they came as Blob chunks just before."""
    KIND, _SCHEMA = 21, ("*S", "*I", "*o")
    __slots__ = ("input_ids", "attempts", "args")
    def __init__(self, input_ids, attempts, args):
        self.input_ids, self.attempts, self.args = input_ids, attempts, args

    def _pack(self) -> list:   # u32 n, u32 ids' size; n u32 attempts, args' lengths; ids, args
        n = len(self.input_ids)
        self._check(n)
        ids, (args, lengths) = _names_out(self.input_ids), _blobs_out(self.args)
        return [_U32x2.pack(n, len(ids)), struct.pack(f"={2 * n}I", *self.attempts, *lengths), ids, args]

    @classmethod
    def _unpack(cls, body):
        n, size = _U32x2.unpack_from(body, 0)
        numbers = struct.unpack_from(f"={2 * n}I", body, 8) if _fits(n, 8, body) else ()
        input_ids, off = _names_of(body, 8 + 8 * n, n, size)
        args, off = _blobs(body, off, numbers[n:], "o")
        return cls(input_ids, numbers[:n], args), off


class Stop(Message):
    """Finish what runs, then exit."""
    KIND = 22
    __slots__ = ()


class Cancel(Message):
    """(Not sent yet.) Stop running one input; the container goes on with the others."""
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


FROM_CONTAINER = frozenset({Hello, Warm, Outputs, Log, Lifecycle, ExecExit, Blob, BlobAbort, Body, ExecData})
TO_CONTAINER = frozenset({Load, Inputs, Stop, Cancel, ExecStart, Blob, BlobAbort, Body, ExecData})


# ----------------------------------------------------------------------------- encoding


def encode(msg: Message) -> bytes:
    """The frame of ``msg``: header and body."""
    cls = type(msg)
    try:
        if isinstance(msg, _Batch):
            out = [b"", *msg._pack()]
        else:
            values = msg._values()
            out = [b"", cls._fixed.pack(*[values[i] for i in cls._fixed_at])]
            for i, code in cls._var_at:
                _put(code, values[i], out)
    except (struct.error, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ProtocolError(f"cannot encode {cls.__name__}: {exc}") from None
    size = sum(map(len, out))
    if size > MAX_FRAME:
        raise ProtocolError(f"a {cls.__name__} frame of {size} bytes exceeds the {MAX_FRAME} byte limit")
    out[0] = HEADER.pack(size, cls.KIND)
    return b"".join(out)


def _put(code: str, value, out: list) -> None:
    if code == "s" or code == "b" or code == "o":
        data = value.encode("utf-8", "surrogatepass") if code == "s" else value
        out += (_U32.pack(_ABSENT), b"") if data is None and code == "o" else (_U32.pack(len(data)), data)
        return
    names = value if code == "S" else [x for item in value.items() for x in item] if code == "m" else \
        [path for path, _ in value]
    data = _names_out(names)
    out += (_U32x2.pack(len(names), len(data)), data)
    if code == "f":   # then the files' lengths and contents
        out += (struct.pack(f"={len(value)}I", *[len(d) for _, d in value]), *[d for _, d in value])


def _names_out(names) -> bytes:
    """Names (str without NUL) as UTF-8, joined by NUL."""
    joined = "\0".join(names)
    if joined.count("\0") != max(len(names) - 1, 0):
        raise ValueError("a name has a NUL in it")
    return joined.encode("utf-8", "surrogatepass")


def _blobs_out(column) -> tuple:
    """Bytes or None, one after another, and their lengths (_ABSENT: None)."""
    try:
        return b"".join(column), list(map(len, column))   # the join first: it refuses what is not bytes
    except TypeError:   # a None (args or data sent as Blob chunks), or what is not bytes
        return b"".join([v for v in column if v is not None]), [_ABSENT if v is None else len(v) for v in column]


def _texts_out(column) -> tuple:
    """Any str (surrogates, from bytes a function wrote that were not UTF-8, included) as UTF-8, one
    after another, and their lengths."""
    joined = "".join(column)
    data = joined.encode("utf-8", "surrogatepass")
    if len(data) == len(joined):   # ASCII: each string's length is its byte count
        return data, list(map(len, column))
    parts = [s.encode("utf-8", "surrogatepass") for s in column]
    return b"".join(parts), list(map(len, parts))


# ----------------------------------------------------------------------------- decoding


def decode(kind: int, body: bytes) -> Message:
    """The message of a frame's body; ProtocolError, saying what is wrong, if it is not one."""
    cls = _BY_KIND.get(kind)
    if cls is None:
        raise ProtocolError(_unknown(kind))
    try:
        if issubclass(cls, _Batch):
            msg, off = cls._unpack(body)
        else:
            if cls is Hello or cls is Warm:
                (version,) = _U16.unpack_from(body, 0)
                if version != VERSION:
                    raise VersionMismatch(f"the container speaks protocol version {version} and its worker"
                                          f" {VERSION}: its bootstrap must come from the same Leveret as the worker")
            values = [None] * len(cls._SCHEMA)
            for i, v in zip(cls._fixed_at, cls._fixed.unpack_from(body, 0)):
                values[i] = v
            off = cls._fixed.size
            for i, code in cls._var_at:
                values[i], off = _get(code, body, off)
            msg = cls.__new__(cls)
            for name, value in zip(cls.__slots__, values):
                setattr(msg, name, value)
        if off != len(body):
            raise ProtocolError(f"{len(body) - off} bytes left over")
    except VersionMismatch:
        raise
    except (ProtocolError, struct.error, UnicodeDecodeError, ValueError, OverflowError) as exc:
        raise ProtocolError(f"malformed {cls.__name__} frame: {exc}") from None
    return msg


def _unknown(kind: int) -> str:
    if kind == 0x80:   # a pickle's first byte: a bootstrap from before this protocol
        return ("a pickled frame: the container's bootstrap speaks an older protocol than its worker's"
                f" version {VERSION}; it must come from the same Leveret as the worker")
    return f"unknown frame kind {kind} (protocol version {VERSION})"


def _get(code: str, body, off: int):
    if code == "s" or code == "b" or code == "o":
        (one,), off = _blobs(body, off + 4, _U32.unpack_from(body, off), code)
        return one, off
    count, size = _U32x2.unpack_from(body, off)
    names, off = _names_of(body, off + 8, count, size)
    if code == "m":
        return dict(zip(names[::2], names[1::2])), off
    if code == "f":
        lengths = struct.unpack_from(f"={count}I", body, off) if _fits(count, 4, body) else ()
        data, off = _blobs(body, off + 4 * count, lengths, "b")
        return list(zip(names, data)), off
    return names, off


def _fits(n: int, least: int, body) -> bool:
    """True, or ProtocolError if ``n`` items of at least ``least`` bytes cannot fit in ``body``."""
    if n * least > len(body):
        raise ProtocolError(f"{n} items cannot fit in {len(body)} bytes")
    return True


def _names_of(body, off: int, n: int, size: int):
    end = off + size
    if end > len(body):
        raise ProtocolError(f"truncated: {size} bytes of names said, {len(body) - off} there")
    names = body[off:end].decode("utf-8", "surrogatepass").split("\0") if n or size else []
    if len(names) != n:
        raise ProtocolError(f"{len(names)} names where {n} were said")
    return names, end


def _blobs(body, off: int, lengths, code: str):
    """What ``lengths`` bytes one after another at ``off`` hold: bytes ("b"), bytes or None where a
    length is _ABSENT ("o"), str ("s")."""
    absent = code == "o" and _ABSENT in lengths
    if absent:
        lengths, given = [0 if x == _ABSENT else x for x in lengths], lengths
    end = off + sum(lengths)
    if end > len(body):
        raise ProtocolError(f"truncated: {end - off} bytes said, {len(body) - off} there")
    if len(lengths) == 1:
        column = [body[off:end]]
    elif end == off:
        column = [b""] * len(lengths)
    else:
        reader = io.BytesIO(body)
        reader.seek(off)
        column = list(map(reader.read, lengths))
    if code == "s":
        column = [""] * len(column) if end == off else [b.decode("utf-8", "surrogatepass") for b in column]
    elif absent:
        column = [None if x == _ABSENT else v for x, v in zip(given, column)]
    return column, end


def split_header(head: bytes) -> tuple[int, int]:
    """(body length, kind) of a frame's header, refusing what no frame has."""
    n, kind = HEADER.unpack(head)
    if kind not in _BY_KIND:
        raise ProtocolError(_unknown(kind))
    if n > MAX_FRAME:
        raise ProtocolError(f"frame of {n} bytes exceeds the {MAX_FRAME} byte limit")
    return n, kind


def decode_frame(frame: bytes) -> Message:
    """The message of one whole frame, header and body."""
    if len(frame) < HEADER.size:
        raise ProtocolError(f"truncated frame: {len(frame)} bytes, less than a header")
    n, kind = split_header(frame[:HEADER.size])
    if len(frame) != HEADER.size + n:
        raise ProtocolError(f"frame of {len(frame)} bytes whose header says {HEADER.size + n}")
    return decode(kind, frame[HEADER.size:])


async def read_message(reader) -> Message:
    """The next message from an asyncio stream (IncompleteReadError at its end)."""
    n, kind = split_header(await reader.readexactly(HEADER.size))
    return decode(kind, await reader.readexactly(n))


def recv_message(sock) -> Message:
    """The next message from a blocking socket (EOFError at its end)."""
    n, kind = split_header(_recv_exact(sock, HEADER.size))
    return decode(kind, _recv_exact(sock, n))


def _recv_exact(sock, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("the other end closed the socket")
        buf += chunk
    return bytes(buf)


# ----------------------------------------------------------------------------- beside the socket


def parse_spec(text: str) -> dict:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def format_spec(spec: dict) -> str:
    return "".join(f"{k}={v}\n" for k, v in spec.items())


class RunningMarker:
    """The input this container is running, in a file beside its socket that both sides map: the
    worker reads it when the container dies (a crash, an out-of-memory kill), so the input to blame
    is known even when it had no time to say anything. Setting it is a memory write, no syscall.
    Layout: one length byte (0: no input running), then the input id."""

    def __init__(self, path: str | None):
        self.map = None
        if path is None:
            return
        try:
            import mmap

            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                os.ftruncate(fd, MARKER_SIZE)
                self.map = mmap.mmap(fd, MARKER_SIZE)
            finally:
                os.close(fd)
        except (OSError, ValueError, ImportError):
            pass   # the worker then knows less: it blames nothing it cannot name

    def set(self, input_id: str) -> None:
        if self.map is not None:
            data = input_id.encode()[:MARKER_SIZE - 1]
            self.map[1:1 + len(data)] = data
            self.map[0] = len(data)   # last: the id is whole once its length says so

    def clear(self) -> None:
        if self.map is not None:
            self.map[0] = 0


def read_running(directory: str) -> str | None:
    """The input a dead container was running (the worker's side of RunningMarker): its id, "" if
    it ran none, None if the container kept no marker."""
    try:
        with open(os.path.join(directory, RUNNING_FILE), "rb") as f:
            data = f.read(MARKER_SIZE)
    except OSError:
        return None
    if not data:
        return None
    return data[1:1 + data[0]].decode(errors="replace")
