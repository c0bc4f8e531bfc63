"""The door of the gRPC API: every RPC carries ``authorization: Bearer <token>``, and the token's
role (server/auth.py) decides which methods it may call. A call made with a token that can be
revoked (a user's or a worker's) is watched while it is open: revoking the token ends it at once,
a stream of logs or results too, with UNAUTHENTICATED saying so."""

from __future__ import annotations

import asyncio
import inspect

import grpc

from ..auth import CONTAINER, REVOKED, Tokens, allows, refusal

_REVOKED_MESSAGE = "this call's token was revoked (`leveret token revoke`): ask an admin of the server for a new one"


class TokenCheck(grpc.aio.ServerInterceptor):
    def __init__(self, tokens: Tokens):
        self.tokens = tokens

    async def intercept_service(self, continuation, details):
        authorization = next((v for k, v in details.invocation_metadata or () if k == "authorization"), None)
        found = self.tokens.check(authorization)
        if found is None:
            return _deny(await continuation(details), grpc.StatusCode.UNAUTHENTICATED,
                         self.tokens.unknown(authorization))
        role, token_id = found
        if not allows(role, details.method):
            return _deny(await continuation(details), grpc.StatusCode.PERMISSION_DENIED, refusal(role, details.method))
        handler = await continuation(details)
        if handler is None or not token_id or role == CONTAINER:   # the server's token; a container's ends with it
            return handler
        return _watched(handler, self.tokens, token_id)


def _kind(handler):
    """The handler's behaviour and the factory that makes a handler of its kind."""
    if handler.request_streaming and handler.response_streaming:
        return handler.stream_stream, grpc.stream_stream_rpc_method_handler
    if handler.request_streaming:
        return handler.stream_unary, grpc.stream_unary_rpc_method_handler
    if handler.response_streaming:
        return handler.unary_stream, grpc.unary_stream_rpc_method_handler
    return handler.unary_unary, grpc.unary_unary_rpc_method_handler


def _watched(handler, tokens: Tokens, token_id: str):
    """``handler`` run under ``tokens.watch(token_id)``: revoking the token cancels it."""
    behavior, factory = _kind(handler)

    async def ended(context, exc: asyncio.CancelledError) -> None:
        if REVOKED in exc.args:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, _REVOKED_MESSAGE)
        raise exc

    if inspect.isasyncgenfunction(behavior):   # a stream it yields
        async def run(request, context):
            with tokens.watch(token_id):
                try:
                    async for item in behavior(request, context):
                        yield item
                except asyncio.CancelledError as exc:
                    await ended(context, exc)
    else:   # a response, or a stream it writes (context.write)
        async def run(request, context):
            with tokens.watch(token_id):
                try:
                    return await behavior(request, context)
                except asyncio.CancelledError as exc:
                    await ended(context, exc)

    return factory(run, request_deserializer=handler.request_deserializer,
                   response_serializer=handler.response_serializer)


def _deny(handler, code, message: str):
    async def abort(request, context):
        await context.abort(code, message)

    async def abort_stream(request, context):
        await abort(request, context)
        yield  # pragma: no cover - never reached

    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(abort_stream)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(abort)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(abort_stream)
    return grpc.unary_unary_rpc_method_handler(abort)
