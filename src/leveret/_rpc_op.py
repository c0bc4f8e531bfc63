"""Methods of named objects written once, as generators of the RPCs they make (Dict's, Queue's):

    @rpc_op
    def get(self, key, default=None):
        resp = yield "DictGet", {"dict_id": self._object_id, "key": dumps(key)}
        return loads(as_bytes(resp["value"])) if resp["found"] else default

    d.get("k")             # blocking
    await d.get.aio("k")   # async

A plain call runs in the caller's thread, each RPC on the server's direct port (_wire/direct.py;
in a container, on a connection its worker hands it: _container_client.HandedClient): no hop to the SDK's loop, no
gRPC framing — when the object is hydrated and its client has that port (``client.direct``).
Otherwise (its first use, a server without the port, a broken connection) the RPCs go as
``client.object_call`` on the SDK's loop, as ``.aio`` always does. Requests are protobuf's
field names with bytes as bytes; responses, fields by name: on the direct port as protobuf gives
them, else in protobuf's JSON mapping (bytes in base64, 64-bit integers as strings): read bytes with
``as_bytes``, integers with ``int``.
"""

from __future__ import annotations

import base64
import functools

from ._shared.aio import run_async, run_sync
from ._shared.direct_frames import Lost


class rpc_op:
    def __init__(self, gen_fn):
        self._fn = gen_fn
        functools.update_wrapper(self, gen_fn)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return _BoundOp(self._fn, obj)


class _BoundOp:
    __slots__ = ("_fn", "_obj")

    def __init__(self, fn, obj):
        self._fn, self._obj = fn, obj

    def __call__(self, *args, **kwargs):
        client = self._obj._client
        direct = getattr(client, "direct", None) if self._obj._object_id is not None else None
        if direct is None:
            return run_sync(self._on_loop(args, kwargs))
        gen = self._fn(self._obj, *args, **kwargs)
        response = None
        try:
            while True:
                method, fields = gen.send(response)
                try:
                    response = direct.call_fields(method, fields)
                except Lost:   # the server went away: by gRPC, which waits for it (and asks for the port again)
                    client.direct = None
                    response = run_sync(client.object_call(method, json_mapping(fields)))
        except StopIteration as done:
            return done.value

    def aio(self, *args, **kwargs):
        return run_async(self._on_loop(args, kwargs))

    async def _on_loop(self, args, kwargs):
        client = await self._obj._live()
        if hasattr(client, "find_direct"):
            await client.find_direct()   # for the next plain call
        gen = self._fn(self._obj, *args, **kwargs)
        response = None
        try:
            while True:
                method, fields = gen.send(response)
                response = await client.object_call(method, json_mapping(fields))
        except StopIteration as done:
            return done.value


def as_bytes(value: bytes | str) -> bytes:
    """A bytes field of a response: as it is, or from its JSON mapping's base64."""
    return value if isinstance(value, bytes) else base64.b64decode(value)


def json_mapping(value):
    """Request fields as protobuf's JSON mapping: bytes in base64, the rest as they are."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: json_mapping(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_mapping(v) for v in value]
    return value
