"""The dashboard's JSON beyond an app's run: usage, named objects, sandboxes, deployments.

    GET  /api/usage?days=30               CPU seconds, memory GiB-seconds and GPU seconds per app and
                                          function over the last days (the store's daily sums, kept
                                          across restarts, and what was counted since)
    GET  /api/objects/{kind}              Volumes, Dicts, Queues, Secrets (names and dates: never a value)
    GET  /api/sandboxes                   sandboxes, running and recently ended
    GET  /api/apps/{app}/history          a deployed app's versions, newest first
    POST /api/apps/{app}/rollback         deploy an earlier version's functions again (a deploy token)
    GET  /api/apps/{app}/containers       an app's containers, newest first, with their cold-start phases
"""

from __future__ import annotations

from aiohttp import web

from .. import views
from ..auth import DEPLOY, SCOPES, Tokens
from ..errors import NotFound
from ..store import Store
from .login import COOKIE

OBJECT_KINDS = ("volume", "dict", "queue", "secret")


class ClusterPages:
    def __init__(self, dispatcher, tokens: Tokens | None):
        self.d = dispatcher
        self.reads = dispatcher.reads
        self.tokens = tokens

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/api/usage", self.usage)
        r.add_get("/api/objects/{kind}", self.objects)
        r.add_get("/api/sandboxes", self.sandboxes)
        r.add_get("/api/apps/{app}/history", self.history)
        r.add_post("/api/apps/{app}/rollback", self.rollback)
        r.add_get("/api/apps/{app}/containers", self.containers)

    async def usage(self, request: web.Request) -> web.Response:
        """The store's daily sums of the last ``days`` days (default 30) and what was counted since."""
        now = self.d.clock.time()
        days = max(1, min(int(request.query.get("days", 30)), 400))
        found = {k: list(v) for k, v in (await self.reads.run(Store.usage_since, now - (days - 1) * 86400)).items()}
        self.d.metrics.count_gpus(now)   # (GPUs held now, counted to now)
        for key, used in self.d.metrics.unstored.items():
            found[key] = [a + b for a, b in zip(found.get(key, (0.0, 0.0, 0.0)), used)]
        return web.json_response([{"app": app, "function": fn, "cpu_seconds": cpu, "memory_gib_seconds": memory / 2 ** 30,
                                   "gpu_seconds": gpu} for (app, fn), (cpu, memory, gpu) in sorted(found.items())
                                  if cpu or memory or gpu])

    async def objects(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if kind not in OBJECT_KINDS:
            raise web.HTTPNotFound(text=f"no kind {kind!r}: one of {', '.join(OBJECT_KINDS)}")
        rows = await self.reads.run(self.d.objects.list, kind, request.query.get("environment", ""))
        return web.json_response([{"id": o.id, "name": o.name, "environment": o.environment,
                                   "created_at": o.created_at} for o in rows])

    async def sandboxes(self, request: web.Request) -> web.Response:
        return web.json_response([{"sandbox_id": r.sandbox_id, "app_id": r.app_id, "name": r.name, "state": r.state,
                                   "created_at": r.created_at, "container_id": r.container_id, "tags": r.tags}
                                  for r in self.d.sandboxes.list(include_done=True)])

    async def _app(self, request: web.Request) -> dict:
        try:
            return await views.app_info(self.d, request.match_info["app"])
        except NotFound as exc:
            raise web.HTTPNotFound(text=exc.message) from None

    async def history(self, request: web.Request) -> web.Response:
        app = await self._app(request)
        versions = await self.reads.run(Store.app_versions, app["name"]) if app["version"] else []
        return web.json_response([{**v, "live": v["state"] == "deployed"} for v in versions])

    async def rollback(self, request: web.Request) -> web.Response:
        """Needs a token that may deploy: the server's, an admin's or a deploy token."""
        token = request.cookies.get(COOKIE, "") or request.headers.get("Authorization", "").removeprefix("Bearer ")
        found = self.tokens.check(f"Bearer {token}") if self.tokens is not None and token else None
        if found is None or found[0] not in SCOPES or SCOPES.index(found[0]) > SCOPES.index(DEPLOY):
            raise web.HTTPForbidden(text="rolling back needs a deploy token (or an admin's): log in with one")
        app = await self._app(request)
        version = int((await request.post()).get("version", 0) or 0)
        try:
            app_id, new, source = await self.d.deployments.rollback(app["name"], version, self.d.clock.time())
        except NotFound as exc:
            raise web.HTTPNotFound(text=exc.message) from None
        return web.json_response({"app_id": app_id, "version": new, "from_version": source})

    async def containers(self, request: web.Request) -> web.Response:
        app = await self._app(request)
        return web.json_response(await self.reads.run(Store.containers_of_app, app["id"]))
