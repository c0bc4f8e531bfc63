"""``Dict``: a key-value store kept on the server under a name, as Modal's ``modal.Dict``.

    d = leveret.Dict.from_name("cache", create_if_missing=True)
    d["model"] = {"version": 3}          # any picklable key and value
    d.put("k", 1, skip_if_exists=True)   # False: the key was there, its value kept
    d.get("k"), "k" in d, len(d), d.pop("k"), list(d.items())
    with leveret.Dict.ephemeral() as tmp: ...   # deleted when the block ends

Entries live in the server's store (SQLite or PostgreSQL): they outlive runs and server restarts.
Every method has an ``.aio`` form. Keys are compared as their pickled bytes. Limits: a pickled key
is at most 64 KiB, a value 2 MiB (larger data belongs in a Volume), an update 10,000 entries.
"""

from __future__ import annotations

import contextlib

from ._object import _Object
from ._utils.synchronize import synchronize
from .exception import NotImplementedOptionError

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
        import secrets

        name = f"ephemeral-{secrets.token_hex(8)}"
        d = cls.from_name(name, environment_name=environment_name, create_if_missing=True)
        d.hydrate(client)
        try:
            if data:
                d.update(data)
            yield d
        finally:
            cls.objects.delete(name, allow_missing=True, environment_name=environment_name)

    async def _rpc(self, method: str, request):
        client = await self._live()
        if not hasattr(client, "call"):
            raise NotImplementedOptionError("a Dict from inside a container is not supported yet: it comes next"
                                            " (the container reaches the server through its worker)")
        return await client.call(method, request)

    @synchronize
    async def put(self, key, value, *, skip_if_exists: bool = False) -> bool:
        """Store ``value`` under ``key``; with ``skip_if_exists``, only if the key is not there
        (False then: nothing was stored)."""
        from ._wire import api_pb2 as pb

        await self._live()
        resp = await self._rpc("DictUpdate", pb.DictUpdateRequest(
            dict_id=self._object_id, entries=[pb.DictEntry(key=_dumps(key), value=_dumps(value))],
            skip_if_exists=skip_if_exists))
        return resp.written == 1

    @synchronize
    async def update(self, other=None, /, **kwargs) -> None:
        """Store every entry of a mapping (or pairs) and of ``kwargs``."""
        from ._wire import api_pb2 as pb

        items = dict(other or {}, **kwargs)
        await self._live()
        await self._rpc("DictUpdate", pb.DictUpdateRequest(dict_id=self._object_id, entries=[
            pb.DictEntry(key=_dumps(k), value=_dumps(v)) for k, v in items.items()]))

    async def _get(self, key, *, pop: bool = False, exists_only: bool = False):
        from ._wire import api_pb2 as pb

        await self._live()
        return await self._rpc("DictGet", pb.DictGetRequest(dict_id=self._object_id, key=_dumps(key), pop=pop,
                                                           exists_only=exists_only))

    @synchronize
    async def get(self, key, default=None):
        resp = await self._get(key)
        return _loads(resp.value) if resp.found else default

    @synchronize
    async def pop(self, key, default=_MISSING):
        """Remove ``key`` and return its value (``default`` if it is not there, else KeyError)."""
        resp = await self._get(key, pop=True)
        if resp.found:
            return _loads(resp.value)
        if default is _MISSING:
            raise KeyError(key)
        return default

    @synchronize
    async def contains(self, key) -> bool:
        return (await self._get(key, exists_only=True)).found

    @synchronize
    async def len(self) -> int:
        from ._wire import api_pb2 as pb

        await self._live()
        return (await self._rpc("DictLen", pb.DictLenRequest(dict_id=self._object_id))).len

    @synchronize
    async def clear(self) -> None:
        from ._wire import api_pb2 as pb

        await self._live()
        await self._rpc("DictLen", pb.DictLenRequest(dict_id=self._object_id, clear=True))

    async def _pages(self):
        from ._wire import api_pb2 as pb

        await self._live()
        after = None
        while True:
            resp = await self._rpc("DictContents", pb.DictContentsRequest(
                dict_id=self._object_id, after_key=after or b"", has_after=after is not None))
            for entry in resp.entries:
                yield entry
            if not resp.entries:
                return
            after = resp.entries[-1].key

    @synchronize
    async def items(self) -> list:
        """Every (key, value), in the order of their pickled keys."""
        return [(_loads(e.key), _loads(e.value)) async for e in self._pages()]

    @synchronize
    async def keys(self) -> list:
        return [_loads(e.key) async for e in self._pages()]

    @synchronize
    async def values(self) -> list:
        return [_loads(e.value) async for e in self._pages()]

    def __getitem__(self, key):
        resp = _run(self._get(key))
        if not resp.found:
            raise KeyError(key)
        return _loads(resp.value)

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


def _run(coro):
    from ._shared.aio import run_sync

    return run_sync(coro)


__all__ = ["Dict"]
