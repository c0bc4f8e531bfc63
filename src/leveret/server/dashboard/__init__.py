"""The web dashboard: one static page (static/: vanilla JS, uPlot vendored for charts; no build
step) and the JSON it reads, on the server's HTTP side. Its pages are fragments of its URL, each
linkable: #/ (overview), #/apps/APP, #/apps/APP/functions/FN, #/calls/fc-…, #/inputs/in-….

    GET /                         the page
    /login, /token-flow/{id}      the login form and `leveret token new`'s approval (login.py)
    GET /api/apps                 apps (running ones, or ?all=1) with their functions
    GET /api/apps/{app}/functions/{fn}   a function: settings, backlog, containers, pending reasons,
                                  scale events, schedule, its web URL, and its queue/containers series (?since=;
                                  a stopped function's: its whole run, from the store)
    GET /api/containers[?app=]    running containers with state, inputs running, worker
    GET /api/logs?app=&after=&function=&container=&search=   stored lines after a sequence number
    GET /api/logs/stream?app=...  the same, then live lines as Server-Sent Events
    GET /api/inputs/{input_id}    an input's timeline: queued, each result (attempt, container, status,
                                  message, traceback)
    GET /api/overview             workers with what they have and hold, apps, the backlog, failures in the last hour
    GET /api/apps/{app}/functions/{fn}/inputs?failed=1&limit=&min_ms=   a function's inputs, newest first
    GET /api/calls/{call_id}      a call's inputs with their tracebacks
    (usage, named objects, sandboxes, deployments and rollback, an app's containers: cluster.py)

Everything is behind the server's token, like the API (the page gets it from the cookie).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os

from aiohttp import web

from ..._shared.status import NAMES
from .. import views
from ..errors import NotFound
from ..store import Store
from .cluster import ClusterPages
from .login import COOKIE, LoginPages

__all__ = ["COOKIE", "Dashboard"]

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
LOG_PAGE = 2000


def _line(row) -> dict:
    seq, app_id, function_name, container_id, input_id, source, ts, text = row
    return {"seq": seq, "app_id": app_id, "function": function_name, "container": container_id,
            "input": input_id, "source": {1: "stdout", 2: "stderr", 3: "system"}.get(source, "?"), "ts": ts,
            "text": text}


class Dashboard:
    def __init__(self, dispatcher, tokens=None):
        self.d = dispatcher
        self.tokens = tokens
        self.reads = dispatcher.reads   # the store's reader (reads.py)
        self.logs = dispatcher.logs
        self.streams: set = set()   # the queues of the log streams open now: ended when the server stops

    def add_routes(self, app: web.Application) -> None:
        app.on_shutdown.append(self._end_streams)
        r = app.router
        r.add_get("/", self.index)
        if self.tokens is not None:
            LoginPages(self.tokens).add_routes(app)
        ClusterPages(self.d, self.tokens).add_routes(app)
        r.add_get("/api/apps", self.apps)
        r.add_get("/api/apps/{app}/functions/{fn}", self.function)
        r.add_get("/api/containers", self.containers)
        r.add_get("/api/logs", self.stored_logs)
        r.add_get("/api/logs/stream", self.stream_logs)
        r.add_get("/api/inputs/{input_id}", self.input_timeline)
        r.add_get("/api/overview", self.overview)
        r.add_get("/api/apps/{app}/functions/{fn}/inputs", self.function_inputs)
        r.add_get("/api/calls/{call_id}", self.call)
        r.add_static("/static/", STATIC)

    async def index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(os.path.join(STATIC, "index.html"))

    async def apps(self, request: web.Request) -> web.Response:
        out = []
        for info in await self.reads.run(Store.list_apps, include_stopped=request.query.get("all") == "1"):
            app = self.d.apps.get(info["id"])
            web_urls = {fn.name: self.d.routes.url_of(app, fn) for fn in app.functions if fn.spec.web_kind} \
                if app is not None and app.state in ("ephemeral", "deployed") else {}
            out.append({**info, "functions": await views.function_names(self.d, info["id"]),
                        "running": app is not None, "web_urls": web_urls})
        return web.json_response(out)

    async def function(self, request: web.Request) -> web.Response:
        now = self.d.clock.time()
        try:
            described = await views.describe_any(self.d, request.match_info["app"], request.match_info["fn"], now)
        except NotFound as exc:
            raise web.HTTPNotFound(text=exc.message) from None
        since = float(request.query.get("since", now - 600))
        fn = self.d.functions.get(described.function_id)
        # a running function's samples; a stopped one's activity as its stored inputs and containers tell it
        points = self.d.series.points(described.function_id, since) if fn is not None else \
            await self.reads.run(Store.function_activity, described.function_id)
        series = [{"ts": ts, "queued": q, "running": r, "containers": c} for ts, q, r, c in points]
        app = self.d.apps.get(fn.app_id) if fn is not None else None
        web_url = self.d.routes.url_of(app, fn) if app is not None and app.state in ("ephemeral", "deployed") else ""
        stats = await views.function_stats(self.d, described.app_id, described.function_name)
        return web.json_response({**dataclasses.asdict(described), "series": series, "web_url": web_url,
                                  "stats": dataclasses.asdict(stats)})

    async def containers(self, request: web.Request) -> web.Response:
        try:
            infos = views.containers(self.d, request.query.get("app", ""), self.d.clock.time())
        except NotFound as exc:
            raise web.HTTPNotFound(text=exc.message) from None
        return web.json_response([dataclasses.asdict(c) for c in infos])

    async def _app_id(self, request: web.Request) -> str:
        try:
            return await views.app_id(self.d, request.query.get("app", ""))
        except NotFound as exc:
            raise web.HTTPNotFound(text=exc.message) from None

    @staticmethod
    def _matches(request: web.Request):
        function = request.query.get("function", "")
        container = request.query.get("container", "")
        search = request.query.get("search", "").lower()

        def ok(line: dict) -> bool:
            return ((not function or line["function"] == function) and (not container or line["container"] == container)
                    and (not search or search in line["text"].lower()))
        return ok

    async def _stored(self, app_id: str, after: int, ok) -> tuple[list[dict], int]:
        rows = await self.reads.run(Store.get_logs, app_id, after, LOG_PAGE)
        last = rows[-1][0] if rows else after
        return [line for line in map(_line, rows) if ok(line)], last

    async def stored_logs(self, request: web.Request) -> web.Response:
        lines, last = await self._stored(await self._app_id(request), int(request.query.get("after", 0)),
                                         self._matches(request))
        return web.json_response({"lines": lines, "last": last})

    async def stream_logs(self, request: web.Request) -> web.StreamResponse:
        """Stored lines, then live ones, as Server-Sent Events (one JSON list of lines per event)."""
        app_id = await self._app_id(request)
        ok = self._matches(request)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        q = self.logs.follow(app_id)
        self.streams.add(q)
        try:
            last = int(request.query.get("after", 0))
            while True:   # history first, a page at a time
                lines, new_last = await self._stored(app_id, last, ok)
                if new_last == last:
                    break
                last = new_last
                if lines:
                    await response.write(f"data: {json.dumps(lines)}\n\n".encode())
            await response.write(b"event: live\ndata: []\n\n")
            while True:
                try:
                    batch = await asyncio.wait_for(q.get(), 15)
                except asyncio.TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if batch is None:
                    await response.write(b"event: done\ndata: []\n\n")
                    break
                # the hub's live rows: (seq, app_id, function_name, container_id, input_id, source, ts,
                # text, verbose), a stored row's columns and the verbose flag behind them
                lines = [line for line in (_line(row[:8]) for row in batch) if line["seq"] > last and ok(line)]
                if lines:
                    last = lines[-1]["seq"]
                    await response.write(f"data: {json.dumps(lines)}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.streams.discard(q)
            self.logs.unfollow(app_id, q)
        return response

    async def _end_streams(self, app: web.Application) -> None:
        """The server stops: each log stream says done (a browser following a live app's logs would
        otherwise hold the HTTP side's shutdown)."""
        for q in list(self.streams):
            q.put_nowait(None)

    async def input_timeline(self, request: web.Request) -> web.Response:
        found = await self.reads.run(Store.input_timeline, request.match_info["input_id"])
        if found is None:
            raise web.HTTPNotFound(text=f"no input {request.match_info['input_id']}")
        return web.json_response(found)

    async def overview(self, request: web.Request) -> web.Response:
        d, now = self.d, self.d.clock.time()
        functions = list(d.functions.values())
        failures = await self.reads.run(Store.failures_since, now - 3600)
        return web.json_response({
            "workers": [dataclasses.asdict(w) for w in views.workers(d, now)],
            "apps": {state: sum(1 for a in d.apps.values() if a.state == state) for state in ("ephemeral", "deployed")},
            "queued": sum(f.queued + f.retry_waiting for f in functions), "running": sum(f.running for f in functions),
            "containers": len(d.containers),
            "failures_last_hour": [{"app": a, "function": f, "count": n} for a, f, n in failures]})

    async def function_inputs(self, request: web.Request) -> web.Response:
        app, name = request.match_info["app"], request.match_info["fn"]
        try:
            live = self.d.find_live_app(app)
            fn = live.function(name) if live is not None else None
            function_id = fn.function_id if fn is not None else (await views.stored_function(self.d, app, name))[1]
        except NotFound as exc:
            raise web.HTTPNotFound(text=exc.message) from None
        rows = await self.reads.run(Store.function_inputs, function_id, failed=request.query.get("failed") == "1",
                                    limit=min(int(request.query.get("limit", 100)), 1000))
        min_s = float(request.query.get("min_ms", 0)) / 1000
        return web.json_response([_input(self.d, r) for r in rows if not min_s or (r.finished_at and r.finished_at - r.started_at >= min_s)])

    async def call(self, request: web.Request) -> web.Response:
        found = await self.reads.run(Store.call_details, request.match_info["call_id"], 200)
        if found is None:
            raise web.HTTPNotFound(text=f"no call {request.match_info['call_id']} (or it is past its retention)")
        found["by_status"] = {NAMES.get(k, str(k)): n for k, n in found["by_status"].items()}
        found["inputs"] = [_input(self.d, r) for r in found["inputs"]]
        return web.json_response(found)



def _input(d, row) -> dict:
    """An input row (store/history.py) as the page reads it."""
    v = views.input_view(d, row)
    return {**dataclasses.asdict(v), "duration_s": v.duration_s,
            "earlier": [{**dataclasses.asdict(e), "duration_s": e.duration_s} for e in v.earlier]}
