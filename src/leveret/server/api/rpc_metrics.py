"""The gRPC API's own metrics, as go-grpc-prometheus names them: calls started, handled (by status
code), in flight, and their handling time, by method. The outermost interceptor: a call its token
refuses is counted too (UNAUTHENTICATED, PERMISSION_DENIED)."""

from __future__ import annotations

import asyncio
import inspect
import time

import grpc

from ..metrics import LATENCY_BUCKETS, Histogram
from .token_check import handler_kind


class RpcStats:
    __slots__ = ("type", "started", "in_flight", "handled", "seconds")

    def __init__(self, kind: str):
        self.type = kind   # unary, client_stream, server_stream, bidi_stream
        self.started = 0
        self.in_flight = 0
        self.handled: dict[str, int] = {}   # status code's name: calls that ended with it
        self.seconds = Histogram(LATENCY_BUCKETS)


class RpcMetrics(grpc.aio.ServerInterceptor):
    def __init__(self, by_method: dict[str, RpcStats]):
        self.by_method = by_method

    async def intercept_service(self, continuation, details):
        handler = await continuation(details)
        if handler is None:
            return None
        behavior, factory = handler_kind(handler)
        stats = self.by_method.get(details.method)
        if stats is None:
            stats = self.by_method[details.method] = RpcStats(_type(handler))

        def begin() -> float:
            stats.started += 1
            stats.in_flight += 1
            return time.perf_counter()

        def end(t0: float, context, exc: BaseException | None) -> None:
            stats.in_flight -= 1
            stats.seconds.observe(time.perf_counter() - t0)
            code = context.code()   # what the handler set (an abort's), else how it ended
            if not isinstance(code, grpc.StatusCode):
                code = (grpc.StatusCode.OK if exc is None else
                        grpc.StatusCode.CANCELLED if isinstance(exc, asyncio.CancelledError) else grpc.StatusCode.UNKNOWN)
            stats.handled[code.name] = stats.handled.get(code.name, 0) + 1

        if inspect.isasyncgenfunction(behavior):
            async def run(request, context):
                t0, failed = begin(), None
                try:
                    async for item in behavior(request, context):
                        yield item
                except BaseException as exc:
                    failed = exc
                    raise
                finally:
                    end(t0, context, failed)
        else:
            async def run(request, context):
                t0, failed = begin(), None
                try:
                    return await behavior(request, context)
                except BaseException as exc:
                    failed = exc
                    raise
                finally:
                    end(t0, context, failed)

        return factory(run, request_deserializer=handler.request_deserializer,
                       response_serializer=handler.response_serializer)


def _type(handler) -> str:
    if handler.request_streaming and handler.response_streaming:
        return "bidi_stream"
    if handler.request_streaming:
        return "client_stream"
    return "server_stream" if handler.response_streaming else "unary"
