"""AppCreate, AppPublish, AppList, AppHistory, AppRollback, AppStop, AppHeartbeat, AppLookup."""

from __future__ import annotations

import grpc

from ..._wire import api_pb2 as pb
from .. import views
from ..auth import DEPLOY
from ..._shared.names import name_problem
from ..errors import AlreadyExists, Invalid, NotFound
from ..objects.kinds import DEFAULT_ENVIRONMENT
from ..store import Store
from . import refusals_as_status


APP_STATES = {"ephemeral": pb.APP_STATE_EPHEMERAL, "deploying": pb.APP_STATE_EPHEMERAL,
              "deployed": pb.APP_STATE_DEPLOYED, "draining": pb.APP_STATE_DEPLOYED, "stopped": pb.APP_STATE_STOPPED}


class AppsApi:
    """Mixed into the servicer (service.py)."""

    async def AppCreate(self, request, context):
        if not request.name:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "an app needs a name: App('my-app')")
        async with refusals_as_status(context):   # a deployed app's name against the naming rule
            if request.deploy:
                self.tokens.require(context, DEPLOY, "deploy an app")
            app_id, version = await self.d.create_app(request.name, request.description, deploy=request.deploy,
                                                      detach=request.detach, environment=request.environment)
        return pb.AppCreateResponse(app_id=app_id, version=version)

    async def AppPublish(self, request, context):
        try:
            version, replaced = await self.d.deployments.publish(request.app_id, self.d.clock.time())
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        return pb.AppPublishResponse(version=version, replaced_app_id=replaced)

    async def _app_info(self, info: dict) -> pb.AppInfo:
        functions = await views.function_names(self.d, info["id"])
        app = self.d.apps.get(info["id"])
        web_urls = {}
        if app is not None and app.state in ("ephemeral", "deployed") and not app.stopped:
            for fn in app.functions:
                if fn.spec.web_kind:
                    web_urls[fn.name] = self.routes.url_of(app, fn)
                web_urls.update({f"{fn.name}.{m}": url for m, url in self.routes.method_urls(app, fn).items()})
        return pb.AppInfo(app_id=info["id"], name=info["name"], state=APP_STATES.get(info["state"], pb.APP_STATE_STOPPED),
                          version=info["version"], description=info["description"], created_at=info["created_at"],
                          stopped_at=info["stopped_at"] or 0.0, stop_reason=info["stop_reason"] or "",
                          functions=functions, live=info["state"] == "deployed", web_urls=web_urls)

    async def AppList(self, request, context):
        apps = await self.reads.run(Store.list_apps, include_stopped=request.all)
        return pb.AppListResponse(apps=[await self._app_info(a) for a in apps])

    async def AppHistory(self, request, context):
        versions = await self.reads.run(Store.app_versions, request.name)
        if not versions:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no deployed app named {request.name!r}: `leveret app list` shows the apps")
        return pb.AppHistoryResponse(versions=[await self._app_info(v) for v in versions])

    async def AppRollback(self, request, context):
        try:
            app_id, version, source = await self.d.deployments.rollback(request.name, request.version,
                                                                        self.d.clock.time())
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        return pb.AppRollbackResponse(app_id=app_id, version=version, from_version=source)

    async def AppStop(self, request, context):
        app = self.d.apps.get(request.app_id)
        if app is not None and app.state == "deployed":
            async with refusals_as_status(context):
                self.tokens.require(context, DEPLOY, "stop a deployed app")
        n = self.d.stop_app(request.app_id, request.reason or "stopped by its client")
        await self.writes.durable()   # stopped in the store too: a restart does not bring it back
        return pb.AppStopResponse(cancelled_inputs=n)

    async def AppHeartbeat(self, request, context):
        try:
            self.d.heartbeat(request.app_id)
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        return pb.AppHeartbeatResponse()

    async def AppLookup(self, request, context):
        if request.name_or_id.startswith("ct-"):   # a container's app (leveret container logs)
            ct = await self.reads.run(Store.get_container, request.name_or_id)
            if ct is None:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"no container {request.name_or_id}: `leveret container list`")
            request = pb.AppLookupRequest(name_or_id=ct["app_id"])
        live = self.d.find_live_app(request.name_or_id)
        app = {"id": live.app_id, "name": live.name, "state": live.state} if live is not None else \
            await self.reads.run(Store.find_app, request.name_or_id)
        if app is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no app named {request.name_or_id!r}: `leveret run FILE` or"
                                            " `leveret deploy FILE` creates one")
        return pb.AppLookupResponse(app_id=app["id"], name=app["name"],
                                    state=APP_STATES.get(app["state"], pb.APP_STATE_STOPPED))

    async def EnvironmentCreate(self, request, context):
        async with refusals_as_status(context):
            self.tokens.require(context, DEPLOY, "create an environment")
            problem = name_problem(request.name, "environment")
            if problem:
                raise Invalid(problem)
            if request.name == DEFAULT_ENVIRONMENT or not await self.writes.run(Store.add_environment, request.name):
                raise AlreadyExists(f"there is an environment named {request.name!r} already:"
                                    " `leveret environment list` shows them")
        return pb.EnvironmentCreateResponse()

    async def EnvironmentList(self, request, context):
        made = await self.reads.run(Store.environments)
        return pb.EnvironmentListResponse(environments=[pb.EnvironmentInfo(name=DEFAULT_ENVIRONMENT),
                                                        *(pb.EnvironmentInfo(name=n, created_at=t) for n, t in made)])
