"""QueuePut, QueueGet, QueueLen, QueueClear, QueueNextItems (server/queues.py); a Queue is made,
listed and deleted as any named object (api/objects.py)."""

from __future__ import annotations

from ..._wire import api_pb2 as pb
from .. import queues
from . import refusals_as_status, small


def _timeout(timeout_s: float) -> float | None:
    return None if timeout_s < 0 else timeout_s


class QueuesApi:
    """Mixed into the servicer: needs ``self.d`` (the Dispatcher: its store's threads, its
    ``queue_waiters``)."""

    async def QueuePut(self, request, context):
        async with refusals_as_status(context):
            queues.check_partition(request.partition)
            values = list(request.values)
            ttl = queues.check_put(values, request.partition_ttl)
            key = (request.queue_id, request.partition)

            run = self.d.writes.run_now if small([len(v) for v in values]) else self.d.writes.run

            async def attempt() -> bool:
                return await run(queues.put, request.queue_id, request.partition, values, ttl)

            stored = await self.d.queue_waiters.until(key, "putters", attempt, _timeout(request.timeout_s))
            if stored:
                self.d.queue_waiters.put_done(key, len(values))
            return pb.QueuePutResponse(full=not stored)

    async def QueueGet(self, request, context):
        async with refusals_as_status(context):
            queues.check_partition(request.partition)
            key = (request.queue_id, request.partition)

            run = self.d.writes.run_now if request.n_values <= 1 else self.d.writes.run   # one value: small enough

            async def attempt() -> list[bytes]:
                return await run(queues.pop, request.queue_id, request.partition, request.n_values)

            values = await self.d.queue_waiters.until(key, "getters", attempt, _timeout(request.timeout_s),
                                                      self.tokens.container_of(context) or "")
            if values:
                self.d.queue_waiters.taken(key)
            return pb.QueueGetResponse(values=values)

    async def QueueLen(self, request, context):
        async with refusals_as_status(context):
            queues.check_partition(request.partition)
            n, parts = await self.d.reads.run(queues.length, request.queue_id,
                                              None if request.total else request.partition)
            return pb.QueueLenResponse(len=n, partitions=parts)

    async def QueueClear(self, request, context):
        async with refusals_as_status(context):
            queues.check_partition(request.partition)
            await self.d.writes.run(queues.clear, request.queue_id, None if request.all else request.partition)
            if request.all:
                self.d.queue_waiters.forget(request.queue_id)
            else:
                self.d.queue_waiters.taken((request.queue_id, request.partition))
            return pb.QueueClearResponse()

    async def QueueNextItems(self, request, context):
        async with refusals_as_status(context):
            queues.check_partition(request.partition)

            async def attempt() -> list[tuple[int, bytes]]:
                return await self.d.reads.run(queues.page, request.queue_id, request.partition,
                                              request.after_item_id, request.limit)

            rows = await self.d.queue_waiters.until((request.queue_id, request.partition), "watchers", attempt,
                                                  max(0.0, request.timeout_s))
            return pb.QueueNextItemsResponse(items=[pb.QueueItem(item_id=i, value=v) for i, v in rows])
