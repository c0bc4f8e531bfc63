"""``Dict``: a key-value store kept on the server under a name, as Modal's ``modal.Dict``.

    d = leveret.Dict.from_name("cache", create_if_missing=True)
    d["model"] = {"version": 3}          # any picklable key and value
    d.put("k", 1, skip_if_exists=True)   # False: the key was there, its value kept
    d.get("k"), "k" in d, len(d), d.pop("k"), list(d.items())
    with leveret.Dict.ephemeral() as tmp: ...   # deleted when the block ends

Entries live in the server's store (SQLite or PostgreSQL): they outlive runs and server restarts;
an entry neither written nor read for 7 days is deleted, as Modal's.
The same from a client and from inside a container (there through its worker). Every method has
an ``.aio`` form; a plain call goes on the server's direct port, in the caller's thread
(_rpc_op.py). Keys are compared as their pickled bytes. Limits: a pickled key is at most 64 KiB,
a value 2 MiB (larger data belongs in a Volume), an update 10,000 entries.
"""

from __future__ import annotations

import contextlib

from ._object import _Object
from ._rpc_op import as_bytes, rpc_op

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

    @rpc_op
    def put(self, key, value, *, skip_if_exists: bool = False) -> bool:
        """Store ``value`` under ``key``; with ``skip_if_exists``, only if the key is not there
        (False then: nothing was stored)."""
        resp = yield "DictUpdate", {"dict_id": self._object_id, "entries": [_entry(key, value)],
                                    "skip_if_exists": skip_if_exists}
        return resp["written"] == 1

    @rpc_op
    def update(self, other=None, /, **kwargs) -> None:
        """Store every entry of a mapping (or pairs) and of ``kwargs``."""
        yield "DictUpdate", {"dict_id": self._object_id,
                             "entries": [_entry(k, v) for k, v in dict(other or {}, **kwargs).items()]}

    def _get(self, key, *, pop: bool = False, exists_only: bool = False):
        return "DictGet", {"dict_id": self._object_id, "key": _dumps(key), "pop": pop, "exists_only": exists_only}

    @rpc_op
    def get(self, key, default=None):
        resp = yield self._get(key)
        return _value(resp) if resp["found"] else default

    @rpc_op
    def pop(self, key, default=_MISSING):
        """Remove ``key`` and return its value (``default`` if it is not there, else KeyError)."""
        resp = yield self._get(key, pop=True)
        if resp["found"]:
            return _value(resp)
        if default is _MISSING:
            raise KeyError(key)
        return default

    @rpc_op
    def contains(self, key) -> bool:
        return (yield self._get(key, exists_only=True))["found"]

    @rpc_op
    def len(self) -> int:
        return int((yield "DictLen", {"dict_id": self._object_id})["len"])

    @rpc_op
    def clear(self) -> None:
        yield "DictLen", {"dict_id": self._object_id, "clear": True}

    def _pages(self, each):
        """The entries, page by page in key order, each as ``each(entry)``: a list."""
        out, after = [], None
        while True:
            fields = {"dict_id": self._object_id}
            if after is not None:
                fields.update(after_key=after, has_after=True)
            entries = (yield "DictContents", fields)["entries"]
            if not entries:
                return out
            out += [each(e) for e in entries]
            after = as_bytes(entries[-1]["key"])

    @rpc_op
    def items(self) -> list:
        """Every (key, value), in the order of their pickled keys."""
        return (yield from self._pages(lambda e: (_loads(as_bytes(e["key"])), _value(e))))

    @rpc_op
    def keys(self) -> list:
        return (yield from self._pages(lambda e: _loads(as_bytes(e["key"]))))

    @rpc_op
    def values(self) -> list:
        return (yield from self._pages(_value))

    def __getitem__(self, key):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

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


def _entry(key, value) -> dict:
    return {"key": _dumps(key), "value": _dumps(value)}


def _value(message: dict):
    """The value of a DictGet answer or a DictContents entry."""
    return _loads(as_bytes(message["value"]))


__all__ = ["Dict"]
