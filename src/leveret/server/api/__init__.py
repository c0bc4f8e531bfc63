"""The gRPC API, a module per noun, composed into the servicer (server/service.py): each converts
between the wire's messages and the server's own calls."""

from __future__ import annotations

import grpc

from ..errors import AlreadyExists, Forbidden, Invalid, NotFound, StorageFull

SMALL_ITEMS, SMALL_BYTES = 16, 64 * 1024


def small(sizes: list[int]) -> bool:
    """Whether a write of values of these sizes is small enough for the loop's thread (writes.run_now)."""
    return len(sizes) <= SMALL_ITEMS and sum(sizes) <= SMALL_BYTES


STATUS = {NotFound: grpc.StatusCode.NOT_FOUND, AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
          Invalid: grpc.StatusCode.INVALID_ARGUMENT, Forbidden: grpc.StatusCode.PERMISSION_DENIED,
          StorageFull: grpc.StatusCode.RESOURCE_EXHAUSTED}
REFUSALS = tuple(STATUS)


class refusals_as_status:
    """``async with refusals_as_status(context):`` inside, the server's refusals (server/errors.py)
    end the RPC with their status and message. A class, not a generator: it is on every call."""

    __slots__ = ("context",)

    def __init__(self, context):
        self.context = context

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, kind, exc, tb) -> bool:
        if kind is not None and issubclass(kind, REFUSALS):
            await self.context.abort(next(STATUS[k] for k in kind.__mro__ if k in STATUS), exc.message)
        return False
