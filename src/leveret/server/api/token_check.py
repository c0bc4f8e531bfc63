"""The door of the gRPC API: every RPC carries ``authorization: Bearer <token>``, and the token's
role (server/auth.py) decides which methods it may call. A call made with a token that can be
revoked (a user's or a worker's) is watched while it is open: revoking the token ends it at once,
a stream of logs or results too, with UNAUTHENTICATED saying so. A refusal of the server's
(server/errors.py) that a handler lets out ends its call with its status, as refusals_as_status
would: a full store's, from a write the handler awaited."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect

import grpc

from ..auth import CONTAINER, OPEN_METHODS, REVOKED, Tokens, allows, refusal
from . import REFUSALS, STATUS

_REVOKED_MESSAGE = "this call's token was revoked (`leveret token revoke`): ask an admin of the server for a new one"


class TokenCheck(grpc.aio.ServerInterceptor):
    def __init__(self, tokens: Tokens):
        self.tokens = tokens

    async def intercept_service(self, continuation, details):
        if details.method in OPEN_METHODS:
            return await continuation(details)
        authorization = next((v for k, v in details.invocation_metadata or () if k == "authorization"), None)
        found = self.tokens.check(authorization)
        if found is None:
            return _deny(await continuation(details), grpc.StatusCode.UNAUTHENTICATED,
                         self.tokens.unknown(authorization))
        role, token_id = found
        if not allows(role, details.method):
            return _deny(await continuation(details), grpc.StatusCode.PERMISSION_DENIED, refusal(role, details.method))
        handler = await continuation(details)
        if handler is None:
            return None
        # the server's token cannot be revoked; a container's ends with its container
        return _guarded(handler, self.tokens, "" if role == CONTAINER else token_id)


def handler_kind(handler):
    """The handler's behaviour and the factory that makes a handler of its kind."""
    if handler.request_streaming and handler.response_streaming:
        return handler.stream_stream, grpc.stream_stream_rpc_method_handler
    if handler.request_streaming:
        return handler.stream_unary, grpc.stream_unary_rpc_method_handler
    if handler.response_streaming:
        return handler.unary_stream, grpc.unary_stream_rpc_method_handler
    return handler.unary_unary, grpc.unary_unary_rpc_method_handler


def _guarded(handler, tokens: Tokens, token_id: str):
    """``handler`` whose refusals raised outside ``refusals_as_status`` (a full store's, from a write
    it awaits) end the call with their status; with ``token_id``, run under ``tokens.watch``:
    revoking the token cancels it."""
    behavior, factory = handler_kind(handler)
    watch = functools.partial(tokens.watch, token_id) if token_id else contextlib.nullcontext

    async def ended(context, exc: BaseException) -> None:
        if isinstance(exc, asyncio.CancelledError):
            if REVOKED in exc.args:
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, _REVOKED_MESSAGE)
            raise exc
        await context.abort(next(STATUS[k] for k in type(exc).__mro__ if k in STATUS), exc.message)

    if inspect.isasyncgenfunction(behavior):   # a stream it yields
        async def run(request, context):
            with watch():
                try:
                    async for item in behavior(request, context):
                        yield item
                except (asyncio.CancelledError, *REFUSALS) as exc:
                    await ended(context, exc)
    else:   # a response, or a stream it writes (context.write)
        async def run(request, context):
            with watch():
                try:
                    return await behavior(request, context)
                except (asyncio.CancelledError, *REFUSALS) as exc:
                    await ended(context, exc)

    return factory(run, request_deserializer=handler.request_deserializer,
                   response_serializer=handler.response_serializer)


def _deny(handler, code, message: str):
    async def abort(request, context):
        await context.abort(code, message)

    async def abort_stream(request, context):
        await abort(request, context)
        yield  # pragma: no cover - never reached

    if handler is None:   # no such method: refused all the same, as a caller without a token must not learn more
        return grpc.unary_unary_rpc_method_handler(abort)
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(abort_stream)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(abort)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(abort_stream)
    return grpc.unary_unary_rpc_method_handler(abort)
