"""FunctionCreate, FunctionLookup, FunctionBind, FunctionDescribe, FunctionStats: the wire side of functions
(views.py has what is read, dispatch.py and deploy.py what is changed)."""

from __future__ import annotations

import dataclasses

import grpc

from ..._wire import api_pb2 as pb
from .. import scope, views
from ..errors import NotFound
from ..._shared.errors import InvalidError
from .bind import bound_spec
from .convert import function_spec


def container_info(v: views.ContainerView) -> pb.ContainerInfo:
    return pb.ContainerInfo(**dataclasses.asdict(v))


def describe_response(v: views.FunctionView) -> pb.FunctionDescribeResponse:
    plain = {f.name: getattr(v, f.name) for f in dataclasses.fields(v)
             if f.name not in ("containers", "events", "crash_streak")}
    return pb.FunctionDescribeResponse(**plain, containers=[container_info(c) for c in v.containers],
                                       events=[pb.ScaleEvent(ts=e.ts, text=e.text) for e in v.events])


class FunctionsApi:
    """Mixed into the servicer: needs ``self.d`` (the Dispatcher), ``self.tokens`` and ``self.routes``."""

    async def FunctionCreate(self, request, context):
        if (request.definition.secret_env or '"credentials":' in request.definition.image
                or any(b.secret_env for b in request.definition.bucket_mounts)):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a definition names its secrets (secret_ids), never"
                                " their values: this client is older than the server; upgrade leveret where it runs")
        try:
            spec = function_spec(request.definition)
            await self.d.reads.run(self.d.secrets.load, spec.all_secret_ids)
            function_id = self.d.create_function(request.app_id, spec, replace=request.replace)
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        await self.d.writes.durable()   # stored: a deploy published next has it after a restart
        app, fn = self.d.apps[request.app_id], self.d.functions[function_id]
        return pb.FunctionCreateResponse(function_id=function_id, web_url=self.routes.url_of(app, fn),
                                         web_urls=self.routes.method_urls(app, fn))

    async def FunctionLookup(self, request, context):
        container_id = self.tokens.container_of(context)
        try:
            if container_id and not request.app_name:   # a Function of its own app, called from inside
                fn = scope.own_function(self.d, container_id, request.function_name)
            else:
                fn = await self.d.deployments.lookup(request.app_name, request.function_name, request.environment_name,
                                                     request.version)
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        except scope.OutOfScope as exc:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, exc.message)
        app = self.d.apps.get(fn.app_id)
        return pb.FunctionLookupResponse(function_id=fn.function_id, app_id=fn.app_id,
                                         is_generator=fn.spec.is_generator, is_async=fn.spec.is_async,
                                         is_class=bool(fn.spec.class_name), methods=dict(fn.spec.methods),
                                         web_url=self.routes.url_of(app, fn) if app is not None else "")

    async def FunctionBind(self, request, context):
        """An @app.cls's function for a parameter set, or a function's with other options (bind.py)."""
        container_id = self.tokens.container_of(context)
        try:
            base = self.d.functions.get(request.function_id) or await self.d.find_function(request.function_id)
            scope.check_function(self.d, container_id, base)
            if request.params or request.options:
                spec = bound_spec(base.spec, request.params, request.options)
                await self.d.reads.run(self.d.secrets.load, spec.all_secret_ids)
                function_id = self.d.create_function(base.app_id, spec)
            else:
                function_id = base.function_id
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
            return describe_response(await views.describe_any(self.d, request.app_name_or_id, request.function_name,
                                                         self.d.clock.time()))
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)

    async def FunctionStats(self, request, context):
        try:
            stats = await views.function_stats(self.d, request.app_name_or_id, request.function_name,
                                               request.function_id)
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        return pb.FunctionStatsResponse(**dataclasses.asdict(stats))

    async def FunctionUpdateAutoscaler(self, request, context):
        changes = {field: getattr(request, field) for field in
                   ("min_containers", "max_containers", "buffer_containers", "scaledown_window_s")
                   if request.HasField(field)}
        try:
            self.d.placement.update_autoscaler(request.function_id, changes)
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return pb.FunctionUpdateAutoscalerResponse()
