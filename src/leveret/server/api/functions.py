"""FunctionCreate, FunctionLookup, FunctionBind, FunctionDescribe, FunctionStats: the wire side of functions
(views.py has what is read, dispatch.py and deploy.py what is changed)."""

from __future__ import annotations

import dataclasses

import grpc

from ..._wire import api_pb2 as pb
from .. import scope, views
from ..errors import NotFound
from ..._shared import params
from ..._shared.errors import InvalidError
from .convert import definition, function_spec


def container_info(v: views.ContainerView) -> pb.ContainerInfo:
    return pb.ContainerInfo(**dataclasses.asdict(v))


def describe_response(v: views.FunctionView) -> pb.FunctionDescribeResponse:
    plain = {f.name: getattr(v, f.name) for f in dataclasses.fields(v)
             if f.name not in ("containers", "events", "crash_streak")}
    return pb.FunctionDescribeResponse(**plain, containers=[container_info(c) for c in v.containers],
                                       events=[pb.ScaleEvent(ts=e.ts, text=e.text) for e in v.events])


class FunctionsApi:
    """Mixed into the servicer: needs ``self.d`` (the Dispatcher) and ``self.tokens``."""

    async def FunctionCreate(self, request, context):
        try:
            function_id = self.d.create_function(request.app_id, function_spec(request.definition))
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        await self.d.writes.durable()   # stored: a deploy published next has it after a restart
        return pb.FunctionCreateResponse(function_id=function_id)

    async def FunctionLookup(self, request, context):
        container_id = self.tokens.container_of(context)
        try:
            if container_id and not request.app_name:   # a Function of its own app, called from inside
                fn = scope.own_function(self.d, container_id, request.function_name)
            else:
                fn = await self.d.deployments.lookup(request.app_name, request.function_name, request.environment_name)
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        except scope.OutOfScope as exc:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, exc.message)
        return pb.FunctionLookupResponse(function_id=fn.function_id, app_id=fn.app_id,
                                         is_generator=fn.spec.is_generator, is_async=fn.spec.is_async,
                                         is_class=bool(fn.spec.class_name), methods=dict(fn.spec.methods))

    async def FunctionBind(self, request, context):
        """An @app.cls's function for a parameter set: made at its first call, the same one after."""
        container_id = self.tokens.container_of(context)
        try:
            base = self.d.functions.get(request.function_id) or await self.d.find_function(request.function_id)
            scope.check_function(self.d, container_id, base)
            if not base.spec.class_name:
                raise InvalidError(f"{base.spec.name} is a function, not an @app.cls: it takes no parameters")
            if base.spec.params:
                raise InvalidError(f"{base.spec.name} is bound to its parameters already: bind the class's function")
            d = definition(base.spec)
            d.params, d.name = request.params, params.bound_name(base.spec.name, request.params)
            function_id = self.d.create_function(base.app_id, function_spec(d)) if request.params else base.function_id
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        except scope.OutOfScope as exc:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, exc.message)
        except (InvalidError, ValueError) as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        await self.d.writes.durable()   # stored: a deployed app's bound class is there after a restart
        return pb.FunctionBindResponse(function_id=function_id)

    async def FunctionDescribe(self, request, context):
        try:
            return describe_response(views.describe(self.d, request.app_name_or_id, request.function_name,
                                                   self.d.clock.time()))
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)

    async def FunctionStats(self, request, context):
        try:
            stats = await views.function_stats(self.d, request.app_name_or_id, request.function_name)
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        return pb.FunctionStatsResponse(**dataclasses.asdict(stats))
