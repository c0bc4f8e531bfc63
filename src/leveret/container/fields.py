"""How each field of a message is written in a frame's body and read back, and the error a side
raises when a frame cannot be read or written.

A message's schema has a code per field: a struct code (fixed size), "s" str, "b" bytes, "o"
bytes or None, "S" list of names (str without NUL: ids, argv, paths, the environment), "m" dict
of names, "f" list of (name, bytes); "*" and one of those: a batch's column (batches pack their
columns themselves, with the helpers here). Standard library only: the bootstrap imports it.
"""

from __future__ import annotations

import io
import struct

FIXED = frozenset("BHIQid?")   # the struct codes: a message packs them all in one struct
ABSENT = 0xFFFFFFFF            # the length of an "o" that is None
U32, U32x2 = struct.Struct("=I"), struct.Struct("=II")


class ProtocolError(ValueError):
    """A frame that cannot be read or written: the container that sent it is ended, never the worker."""


class VersionMismatch(ProtocolError):
    """The other side speaks another version of the protocol."""


# ----------------------------------------------------------------------------- writing


def put(code: str, value, out: list) -> None:
    """Append the parts of a field that is not fixed-size to ``out``."""
    if code == "s" or code == "b" or code == "o":
        data = value.encode("utf-8", "surrogatepass") if code == "s" else value
        out += (U32.pack(ABSENT), b"") if data is None and code == "o" else (U32.pack(len(data)), data)
        return
    names = value if code == "S" else [x for item in value.items() for x in item] if code == "m" else \
        [path for path, _ in value]
    data = names_out(names)
    out += (U32x2.pack(len(names), len(data)), data)
    if code == "f":   # then the files' lengths and contents
        out += (struct.pack(f"={len(value)}I", *[len(d) for _, d in value]), *[d for _, d in value])


def names_out(names) -> bytes:
    """Names (str without NUL) as UTF-8, joined by NUL."""
    joined = "\0".join(names)
    if joined.count("\0") != max(len(names) - 1, 0):
        raise ValueError("a name has a NUL in it")
    return joined.encode("utf-8", "surrogatepass")


def blobs_out(column) -> tuple:
    """Bytes or None, one after another, and their lengths (ABSENT: None)."""
    try:
        return b"".join(column), list(map(len, column))   # the join first: it refuses what is not bytes
    except TypeError:   # a None (args or data sent as Blob chunks), or what is not bytes
        return b"".join([v for v in column if v is not None]), [ABSENT if v is None else len(v) for v in column]


def texts_out(column) -> tuple:
    """Any str (surrogates, from bytes a function wrote that were not UTF-8, included) as UTF-8, one
    after another, and their lengths."""
    joined = "".join(column)
    data = joined.encode("utf-8", "surrogatepass")
    if len(data) == len(joined):   # ASCII: each string's length is its byte count
        return data, list(map(len, column))
    parts = [s.encode("utf-8", "surrogatepass") for s in column]
    return b"".join(parts), list(map(len, parts))


# ----------------------------------------------------------------------------- reading


def get(code: str, body, off: int):
    """The field that is not fixed-size at ``off`` in ``body``, and where it ends."""
    if code == "s" or code == "b" or code == "o":
        (one,), off = blobs_in(body, off + 4, U32.unpack_from(body, off), code)
        return one, off
    count, size = U32x2.unpack_from(body, off)
    names, off = names_in(body, off + 8, count, size)
    if code == "m":
        return dict(zip(names[::2], names[1::2])), off
    if code == "f":
        lengths = struct.unpack_from(f"={count}I", body, off) if fits(count, 4, body) else ()
        data, off = blobs_in(body, off + 4 * count, lengths, "b")
        return list(zip(names, data)), off
    return names, off


def fits(n: int, least: int, body) -> bool:
    """True, or ProtocolError if ``n`` items of at least ``least`` bytes cannot fit in ``body``."""
    if n * least > len(body):
        raise ProtocolError(f"{n} items cannot fit in {len(body)} bytes")
    return True


def names_in(body, off: int, n: int, size: int):
    """The ``n`` names joined by NUL in the ``size`` bytes at ``off``, and where they end."""
    end = off + size
    if end > len(body):
        raise ProtocolError(f"truncated: {size} bytes of names said, {len(body) - off} there")
    names = body[off:end].decode("utf-8", "surrogatepass").split("\0") if n or size else []
    if len(names) != n:
        raise ProtocolError(f"{len(names)} names where {n} were said")
    return names, end


def blobs_in(body, off: int, lengths, code: str):
    """What ``lengths`` bytes one after another at ``off`` hold: bytes ("b"), bytes or None where a
    length is ABSENT ("o"), str ("s"); and where they end."""
    absent = code == "o" and ABSENT in lengths
    if absent:
        lengths, given = [0 if x == ABSENT else x for x in lengths], lengths
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
        column = [None if x == ABSENT else v for x, v in zip(given, column)]
    return column, end
