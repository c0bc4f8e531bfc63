"""The gRPC API, a module per noun, composed into the servicer (server/service.py): each converts
between the wire's messages and the server's own calls."""

from __future__ import annotations

import contextlib

import grpc

from ..errors import AlreadyExists, Invalid, NotFound

SMALL_ITEMS, SMALL_BYTES = 16, 64 * 1024


def small(sizes: list[int]) -> bool:
    """Whether a write of values of these sizes is small enough for the loop's thread (writes.run_now)."""
    return len(sizes) <= SMALL_ITEMS and sum(sizes) <= SMALL_BYTES


STATUS = {NotFound: grpc.StatusCode.NOT_FOUND, AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
          Invalid: grpc.StatusCode.INVALID_ARGUMENT}


@contextlib.asynccontextmanager
async def refusals_as_status(context):
    """Inside: the server's refusals (server/errors.py) end the RPC with their status and message."""
    try:
        yield
    except (NotFound, AlreadyExists, Invalid) as exc:
        await context.abort(STATUS[type(exc)], exc.message)
