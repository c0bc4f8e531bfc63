"""Protobuf's wire format for the few messages a container sends on its direct connection (a
Dict's and a Queue's: _rpc_op.py), written and read by a schema instead of generated code: a
container's image may have no protobuf, and its worker then passes the bytes on untouched.

    schema = {"DictGetRequest": {"dict_id": [1, "string", False], "key": [2, "bytes", False], ...},
              "DictEntry": {...}, ...}    # the host makes it from the real descriptors (_wire/direct.py)
    encode(schema, "DictGetRequest", {"dict_id": "di-…", "key": b"…"}) -> bytes
    decode(schema, "DictGetResponse", data) -> {"found": True, "value": b"…"}   # absent fields: defaults

Kinds: "string", "bytes", "bool", "uint" (varint), "int" (varint, two's complement), "double",
"float", or "m:<Message>" for a message; the third item says repeated. Enough for the messages
named, and checked: the host refuses to make a schema with a kind this module cannot write.
"""

from __future__ import annotations

import struct

KINDS = ("string", "bytes", "bool", "uint", "int", "double", "float")
_DOUBLE, _FLOAT = struct.Struct("<d"), struct.Struct("<f")
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_WIRE = {"string": _LEN, "bytes": _LEN, "bool": _VARINT, "uint": _VARINT, "int": _VARINT, "double": _I64,
         "float": _I32}
_DEFAULTS = {"string": "", "bytes": b"", "bool": False, "uint": 0, "int": 0, "double": 0.0, "float": 0.0}


class WireError(ValueError):
    """Bytes that are not the message the schema says."""


def _varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def encode(schema: dict, name: str, fields: dict) -> bytes:
    """The message ``name`` with ``fields`` (by field name; a message field as a dict of its own)."""
    layout = schema[name]
    out = bytearray()
    for field, value in fields.items():
        try:
            number, kind, repeated = layout[field]
        except KeyError:
            raise WireError(f"{name} has no field {field!r}") from None
        for v in (value if repeated else (value,)):
            if kind.startswith("m:"):
                body = encode(schema, kind[2:], v)
                out += _varint(number << 3 | _LEN) + _varint(len(body)) + body
            elif not repeated and v == _DEFAULTS[kind] and type(v) is type(_DEFAULTS[kind]):
                continue   # proto3 writes no default
            elif kind in ("string", "bytes"):
                data = v.encode() if kind == "string" else bytes(v)
                out += _varint(number << 3 | _LEN) + _varint(len(data)) + data
            elif kind == "double":
                out += _varint(number << 3 | _I64) + _DOUBLE.pack(v)
            elif kind == "float":
                out += _varint(number << 3 | _I32) + _FLOAT.pack(v)
            else:
                out += _varint(number << 3 | _VARINT) + _varint(int(v))
    return bytes(out)


def decode(schema: dict, name: str, data: bytes) -> dict:
    """The fields of the message ``name`` in ``data``: every field of the schema's, absent ones as
    their defaults (a message as None, a repeated field as []); unknown fields skipped."""
    layout = schema[name]
    by_number = {number: (field, kind, repeated) for field, (number, kind, repeated) in layout.items()}
    out = {field: [] if repeated else (None if kind.startswith("m:") else _DEFAULTS[kind])
           for field, (_, kind, repeated) in layout.items()}
    view, at, end = memoryview(data), 0, len(data)
    try:
        while at < end:
            key, at = _read_varint(view, at)
            number, wire = key >> 3, key & 7
            if wire == _VARINT:
                raw, at = _read_varint(view, at)
            elif wire == _I64:
                raw, at = view[at:at + 8], at + 8
            elif wire == _I32:
                raw, at = view[at:at + 4], at + 4
            elif wire == _LEN:
                n, at = _read_varint(view, at)
                raw, at = view[at:at + n], at + n
            else:
                raise WireError(f"wire type {wire} in {name}")
            if at > end:
                raise WireError(f"{name} ends inside a field")
            if number not in by_number:
                continue
            field, kind, repeated = by_number[number]
            if repeated and wire == _LEN and _WIRE.get(kind, _LEN) != _LEN:   # packed numbers
                values = _packed(raw, kind)
            else:
                values = [_value(schema, kind, wire, raw)]
            if repeated:
                out[field] += values
            else:
                out[field] = values[-1]
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise WireError(f"{name}: {exc}") from None
    return out


def _read_varint(view: memoryview, at: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        byte = view[at]
        at += 1
        n |= (byte & 0x7F) << shift
        if byte < 0x80:
            return n, at
        shift += 7
        if shift > 63:
            raise WireError("a varint longer than 10 bytes")


def _value(schema: dict, kind: str, wire: int, raw):
    if kind.startswith("m:"):
        return decode(schema, kind[2:], bytes(raw))
    if _WIRE[kind] != wire:
        raise WireError(f"a {kind} field sent as wire type {wire}")
    if kind == "string":
        return bytes(raw).decode()
    if kind == "bytes":
        return bytes(raw)
    if kind == "double":
        return _DOUBLE.unpack(raw)[0]
    if kind == "float":
        return _FLOAT.unpack(raw)[0]
    if kind == "bool":
        return raw != 0
    if kind == "int" and raw >= 1 << 63:
        return raw - (1 << 64)
    return raw


def _packed(raw: memoryview, kind: str) -> list:
    values, at = [], 0
    if kind in ("double", "float"):
        size, unpack = (8, _DOUBLE.unpack_from) if kind == "double" else (4, _FLOAT.unpack_from)
        return [unpack(raw, i)[0] for i in range(0, len(raw), size)]
    while at < len(raw):
        n, at = _read_varint(raw, at)
        values.append(_value({}, kind, _VARINT, n))
    return values
