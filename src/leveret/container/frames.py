"""Frames: a message with its header, on a unix socket between a worker and a container.

    frame  = header body     header = u32 body length (at most MAX_FRAME) | u8 kind   (the same in every version)

``encode`` a message; ``decode`` a body of a kind, or read the next frame from an asyncio stream
(the worker) or a blocking socket (the bootstrap). What is not a frame this version knows raises
ProtocolError, saying why. Standard library only: the bootstrap imports it.
"""

from __future__ import annotations

import struct

from .calls import CallsOpen, DirectOpen
from .fields import ProtocolError, VersionMismatch
from .messages import KINDS, VERSION, Hello, Message, Rejoin, Warm

_VERSIONED = (Hello, Warm, Rejoin, CallsOpen, DirectOpen)   # a connection's first frame: its version comes first

# Numbers are in the host's byte order (the socket never leaves it: both ends run on one host).
HEADER = struct.Struct("=IB")   # body length, kind: the same in every version
MAX_FRAME = 1 << 30
_U16 = struct.Struct("=H")


def encode(msg: Message) -> bytes:
    """The frame of ``msg``: header and body."""
    cls = type(msg)
    try:
        out = msg.pack()
    except (struct.error, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ProtocolError(f"cannot encode {cls.__name__}: {exc}") from None
    size = sum(map(len, out))
    if size > MAX_FRAME:
        raise ProtocolError(f"a {cls.__name__} frame of {size} bytes exceeds the {MAX_FRAME} byte limit")
    out.insert(0, HEADER.pack(size, cls.KIND))
    return b"".join(out)


def decode(kind: int, body: bytes) -> Message:
    """The message of a frame's body; ProtocolError, saying what is wrong, if it is not one."""
    cls = KINDS.get(kind)
    if cls is None:
        raise ProtocolError(_unknown(kind))
    try:
        if cls in _VERSIONED:
            (version,) = _U16.unpack_from(body, 0)
            if version != VERSION:
                raise VersionMismatch(f"the container speaks protocol version {version} and its worker"
                                      f" {VERSION}: its bootstrap must come from the same Leveret as the worker")
        msg, off = cls.unpack(body)
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


def split_header(head: bytes) -> tuple[int, int]:
    """(body length, kind) of a frame's header, refusing what no frame has."""
    n, kind = HEADER.unpack(head)
    if kind not in KINDS:
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
