"""``Dict``: a key-value store kept on the server under a name, as Modal's ``modal.Dict``.

    d = leveret.Dict.from_name("cache", create_if_missing=True)
    d["model"] = {"version": 3}          # any picklable key and value
    d.put("k", 1, skip_if_exists=True)   # False: the key was there, its value kept
    d.get("k"), "k" in d, len(d), d.pop("k"), list(d.items())
    with leveret.Dict.ephemeral() as tmp: ...   # deleted when the block ends

Entries live in the server's store (SQLite or PostgreSQL): they outlive runs and server restarts;
an entry neither written nor read for 7 days is deleted, as Modal's.
The same from a client and from inside a container (there through its worker: the SDK's requests
go as protobuf's JSON mapping, ``client.object_call``). Every method has an ``.aio`` form. Keys are compared as their pickled bytes. Limits: a pickled key
is at most 64 KiB, a value 2 MiB (larger data belongs in a Volume), an update 10,000 entries.
"""

from __future__ import annotations

import contextlib

from ._object import _Object
from ._utils.synchronize import synchronize

_MISSING = object()


def _dumps(obj) -> bytes:
    from ._serialization import serialize

    return serialize(obj)


def _loads(data: bytes):
    from ._serialization import deserialize

    return deserialize(data)


class Dict(_Object, kind="dict", type_prefix="di"):

    @classmethod
    @contextlib.contextmanager
    def ephemeral(cls, data: dict | None = None, *, environment_name: str | None = None, client=None):
        """A Dict for the length of a ``with`` block, deleted at its end."""
        with cls._ephemeral(environment_name, client) as d:
            if data:
                d.update(data)
            yield d

    async def _rpc(self, method: str, **fields) -> dict:
        client = await self._live()
        return await client.object_call(method, {"dict_id": self._object_id, **fields})

    @synchronize
    async def put(self, key, value, *, skip_if_exists: bool = False) -> bool:
        """Store ``value`` under ``key``; with ``skip_if_exists``, only if the key is not there
        (False then: nothing was stored)."""
        resp = await self._rpc("DictUpdate", entries=[_entry(key, value)], skip_if_exists=skip_if_exists)
        return resp["written"] == 1

    @synchronize
    async def update(self, other=None, /, **kwargs) -> None:
        """Store every entry of a mapping (or pairs) and of ``kwargs``."""
        await self._rpc("DictUpdate", entries=[_entry(k, v) for k, v in dict(other or {}, **kwargs).items()])

    async def _get(self, key, *, pop: bool = False, exists_only: bool = False) -> dict:
        return await self._rpc("DictGet", key=_b64(_dumps(key)), pop=pop, exists_only=exists_only)

    @synchronize
    async def get(self, key, default=None):
        resp = await self._get(key)
        return _value(resp) if resp["found"] else default

    @synchronize
    async def pop(self, key, default=_MISSING):
        """Remove ``key`` and return its value (``default`` if it is not there, else KeyError)."""
        resp = await self._get(key, pop=True)
        if resp["found"]:
            return _value(resp)
        if default is _MISSING:
            raise KeyError(key)
        return default

    @synchronize
    async def contains(self, key) -> bool:
        return (await self._get(key, exists_only=True))["found"]

    @synchronize
    async def len(self) -> int:
        return int((await self._rpc("DictLen"))["len"])

    @synchronize
    async def clear(self) -> None:
        await self._rpc("DictLen", clear=True)

    async def _pages(self):
        after = None
        while True:
            fields = {} if after is None else {"after_key": after, "has_after": True}
            entries = (await self._rpc("DictContents", **fields))["entries"]
            for entry in entries:
                yield entry
            if not entries:
                return
            after = entries[-1]["key"]

    @synchronize
    async def items(self) -> list:
        """Every (key, value), in the order of their pickled keys."""
        return [(_loads(_unb64(e["key"])), _value(e)) async for e in self._pages()]

    @synchronize
    async def keys(self) -> list:
        return [_loads(_unb64(e["key"])) async for e in self._pages()]

    @synchronize
    async def values(self) -> list:
        return [_value(e) async for e in self._pages()]

    def __getitem__(self, key):
        resp = _run(self._get(key))
        if not resp["found"]:
            raise KeyError(key)
        return _value(resp)

    def __setitem__(self, key, value) -> None:
        self.put(key, value)

    def __delitem__(self, key) -> None:
        self.pop(key)

    def __contains__(self, key) -> bool:
        return self.contains(key)

    def __len__(self) -> int:
        return self.len()

    def __iter__(self):
        return iter(self.keys())


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


def _entry(key, value) -> dict:
    return {"key": _b64(_dumps(key)), "value": _b64(_dumps(value))}


def _value(message: dict):
    """The value of a DictGet answer or a DictContents entry."""
    return _loads(_unb64(message["value"]))


def _run(coro):
    from ._shared.aio import run_sync

    return run_sync(coro)


__all__ = ["Dict"]
