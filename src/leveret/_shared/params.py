"""An @app.cls's parameters (``leveret.parameter()``): a parameter set as the wire carries it, and
its name. Each set of values is a function of its own on the server (containers of its own, each
running ``@enter`` with those values), found again from the same canonical text.

    {"size": 2, "name": "a"}  ─encode─▶  '{"name":{"s":"a"},"size":{"i":2}}'  (keys sorted, typed)

The types are Modal's: str, int, bool, bytes (bytes as base64).
"""

from __future__ import annotations

import base64
import hashlib
import json

from .errors import InvalidError

TYPES = {"s": str, "i": int, "b": bool, "y": bytes}
CODES = {str: "s", int: "i", bool: "b", bytes: "y"}
NAME_MAX = 100   # a bound function's name past this is the class's name and a hash


def encode(values: dict) -> str:
    """The canonical text of a parameter set ("" for none)."""
    if not values:
        return ""
    typed = {}
    for name, value in values.items():
        code = CODES.get(type(value))
        if code is None:
            raise InvalidError(f"parameter {name}={value!r}: a parameter is a str, int, bool or bytes,"
                               f" not {type(value).__name__}")
        typed[name] = {code: base64.b64encode(value).decode() if code == "y" else value}
    return json.dumps(typed, sort_keys=True, separators=(",", ":"))


def decode(text: str) -> dict:
    """The values of a canonical text; InvalidError (naming what is wrong) for what is not one."""
    if not text:
        return {}
    try:
        typed = json.loads(text)
    except ValueError as exc:
        raise InvalidError(f"parameters {text[:80]!r} are not JSON: {exc}") from None
    if not isinstance(typed, dict):
        raise InvalidError(f"parameters must be a JSON object of typed values, not {text[:80]!r}")
    values = {}
    for name, cell in typed.items():
        if not isinstance(cell, dict) or len(cell) != 1 or next(iter(cell)) not in TYPES:
            raise InvalidError(f"parameter {name!r}: {cell!r} is not one of {{'s'|'i'|'b'|'y': value}}")
        (code, value), = cell.items()
        if code == "y" and isinstance(value, str):
            value = base64.b64decode(value)
        if type(value) is not TYPES[code]:
            raise InvalidError(f"parameter {name!r}: {value!r} is not a {TYPES[code].__name__}")
        values[name] = value
    if encode(values) != text:
        raise InvalidError("parameters must be in canonical form (keys sorted, no spaces): encode them with leveret")
    return values


def bound_name(class_name: str, text: str) -> str:
    """The name of the class's function for this parameter set: Model(size=2, name='a')."""
    values = decode(text)
    name = f"{class_name}({', '.join(f'{k}={v!r}' for k, v in sorted(values.items()))})"
    if len(name) > NAME_MAX:
        name = f"{class_name}(#{hashlib.sha256(text.encode()).hexdigest()[:16]})"
    return name
