"""``Queue``: FIFO queues kept on the server under a name, as Modal's ``modal.Queue``.

    q = leveret.Queue.from_name("jobs", create_if_missing=True)
    q.put({"id": 1}); q.put_many([2, 3])          # any picklable values
    q.get()                                       # waits for one (timeout= seconds, then queue.Empty)
    q.get(block=False)                            # None when empty
    q.get_many(10, timeout=5)                     # as many as there are, up to 10, once there is one
    q.put(4, partition="a", partition_ttl=60)     # independent FIFO partitions, each cleared a while after its last put
    q.len(), q.len(total=True), q.clear(all=True), list(q.iterate())
    with leveret.Queue.ephemeral() as tmp: ...    # deleted when the block ends

Values live in the server's store (durable across server restarts). A blocked ``get`` waits on the
server and is answered as soon as a put lands: no polling. The same from a client and from inside a
container (there through its worker). Every method has an ``.aio`` form; a
plain call (but ``iterate``) goes on the server's direct port, from the caller's thread (_rpc_op.py).
Limits (Modal's): a pickled value 1 MiB, 5,000 values per partition, 100,000 partitions, partition
keys 1–64 bytes; a partition lives ``partition_ttl`` (default a day) after its last put.
"""

from __future__ import annotations

import contextlib
import queue as _stdlib_queue

from ._object import _Object
from ._rpc_op import as_bytes, rpc_op
from ._utils.synchronize import synchronize
from .exception import InvalidError

DEFAULT_PARTITION_TTL = 24 * 3600


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def _dumps(obj) -> bytes:
    from ._serialization import serialize

    return serialize(obj)


def _loads(data: bytes | str):
    from ._serialization import deserialize

    return deserialize(as_bytes(data))


def _timeout(block: bool, timeout: float | None) -> float:
    """The wire's timeout_s: <0 waits without limit, 0 not at all."""
    if not block:
        return 0.0
    if timeout is None:
        return -1.0
    if not isinstance(timeout, (int, float)) or timeout < 0:
        raise InvalidError(f"timeout is a number of seconds >= 0 (or None: wait without limit), not {timeout!r}")
    return float(timeout)


class Queue(_Object, kind="queue", type_prefix="qu"):

    @staticmethod
    def validate_partition_key(partition: str | None) -> bytes:
        """A partition key as the wire has it (None: the default partition, b"")."""
        if partition is None:
            return b""
        if not isinstance(partition, str):
            raise InvalidError(f"a Queue partition key is a str, not {type(partition).__name__}")
        key = partition.encode()
        if not 0 < len(key) <= 64:
            raise InvalidError(f"a Queue partition key is 1 to 64 bytes, {partition!r} is {len(key)}")
        return key

    @classmethod
    @contextlib.contextmanager
    def ephemeral(cls, *, environment_name: str | None = None, client=None):
        """A Queue for the length of a ``with`` block, deleted at its end."""
        with cls._ephemeral(environment_name, client) as q:
            yield q

    def _fields(self, partition: str | None, **fields) -> dict:
        return {"queue_id": self._object_id, "partition": self.validate_partition_key(partition), **fields}

    async def _rpc(self, method: str, partition: str | None, **fields) -> dict:
        key = self.validate_partition_key(partition)
        client = await self._live()
        return await client.object_call(method, {"queue_id": self._object_id, "partition": _b64(key), **fields})

    @rpc_op
    def put(self, v, block: bool = True, timeout: float | None = None, *, partition: str | None = None,
            partition_ttl: int = DEFAULT_PARTITION_TTL) -> None:
        """Add ``v`` at the end of the partition. A full partition (5,000 values) makes it wait for
        room (``block``, up to ``timeout`` seconds), then raise ``queue.Full``."""
        yield from self._put([v], block, timeout, partition, partition_ttl)

    @rpc_op
    def put_many(self, vs: list, block: bool = True, timeout: float | None = None, *,
                 partition: str | None = None, partition_ttl: int = DEFAULT_PARTITION_TTL) -> None:
        """Add every value of ``vs``, in order, at once (all or none)."""
        yield from self._put(list(vs), block, timeout, partition, partition_ttl)

    def _put(self, vs: list, block: bool, timeout: float | None, partition: str | None, ttl):
        if not vs:
            return
        if not isinstance(ttl, (int, float)) or ttl <= 0:
            raise InvalidError(f"partition_ttl is a number of seconds > 0, not {ttl!r}")
        resp = yield "QueuePut", self._fields(partition, values=[_dumps(v) for v in vs], partition_ttl=float(ttl),
                                              timeout_s=_timeout(block, timeout))
        if resp["full"]:
            raise _stdlib_queue.Full(f"Queue {self._name!r} partition {partition!r} is full (5,000 values): get some"
                                     " first, or put to another partition")

    def _get(self, n: int, block: bool, timeout: float | None, partition: str | None):
        resp = yield "QueueGet", self._fields(partition, n_values=n, timeout_s=_timeout(block, timeout))
        return [_loads(v) for v in resp["values"]]

    @rpc_op
    def get(self, block: bool = True, timeout: float | None = None, *, partition: str | None = None):
        """Remove and return the oldest value. With ``block`` (the default) wait for one, up to
        ``timeout`` seconds (None: no limit), then raise ``queue.Empty``; without, None when empty."""
        values = yield from self._get(1, block, timeout, partition)
        if values:
            return values[0]
        if block:
            raise _stdlib_queue.Empty()
        return None

    @rpc_op
    def get_many(self, n_values: int, block: bool = True, timeout: float | None = None, *,
                 partition: str | None = None) -> list:
        """Remove and return up to ``n_values`` values, as many as there are once there is one.
        With ``block``, wait for the first up to ``timeout`` seconds, then raise ``queue.Empty``;
        without, [] when empty."""
        if not isinstance(n_values, int) or n_values < 1:
            raise InvalidError(f"n_values is an int >= 1, not {n_values!r}")
        values = yield from self._get(n_values, block, timeout, partition)
        if not values and block:
            raise _stdlib_queue.Empty()
        return values

    @rpc_op
    def len(self, *, partition: str | None = None, total: bool = False) -> int:
        """Values in the partition, or with ``total`` in every partition."""
        if partition is not None and total:
            raise InvalidError("len(partition=..., total=True): give one of them")
        return int((yield "QueueLen", self._fields(partition, total=total))["len"])

    @rpc_op
    def clear(self, *, partition: str | None = None, all: bool = False) -> None:
        """Remove every value of the partition, or with ``all`` of every partition."""
        if partition is not None and all:
            raise InvalidError("clear(partition=..., all=True): give one of them")
        yield "QueueClear", self._fields(partition, all=all)

    @synchronize
    async def iterate(self, *, partition: str | None = None, item_poll_timeout: float = 0.0):
        """The partition's values in order, left in place; at the end, wait up to
        ``item_poll_timeout`` seconds for another to be put (each new one restarts the wait)."""
        if not isinstance(item_poll_timeout, (int, float)) or item_poll_timeout < 0:
            raise InvalidError(f"item_poll_timeout is a number of seconds >= 0, not {item_poll_timeout!r}")
        after = 0
        while True:
            items = (await self._rpc("QueueNextItems", partition, after_item_id=after,
                                     timeout_s=float(item_poll_timeout)))["items"]
            if not items:
                return
            for item in items:
                yield _loads(item["value"])
            after = int(items[-1]["item_id"])


__all__ = ["Queue"]
