"""The server's HTTP side, beside the gRPC API on an address of its own (``leveret server --http``):

    GET /healthz   open: "ok" while the server runs (for load balancers and supervisors)
    GET /metrics   Prometheus exposition (server/metrics.py)
    GET /, /api/…  the web dashboard (server/dashboard/)

One aiohttp Application. Every route but /healthz and /login needs the server's token or a user's
(any scope: all here is read; a worker's own token is refused: it only connects a worker): as
``Authorization: Bearer <token>``, or, for a browser, in the HttpOnly cookie that /login sets —
from its form (a token pasted), or from ``/login?code=<code>``: a code that stands for the token of
the `leveret dashboard` that asked for it (DashboardLink), once, within a minute. No token is ever
in a URL. A browser without a valid cookie is sent to /login, and back after it.
"""

from __future__ import annotations

import urllib.parse

from aiohttp import web
from prometheus_client import CollectorRegistry

from .._shared.http import bearer_check, metrics_handler
from .auth import SCOPES, Tokens
from .dashboard import COOKIE, Dashboard

OPEN_PATHS = frozenset({"/healthz", "/login"})


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


def make_app(tokens: Tokens, registry: CollectorRegistry, dispatcher=None) -> web.Application:
    def authorized(header: str) -> bool:
        found = tokens.check(header)
        return found is not None and found[0] in SCOPES   # the server's token, or a user's of any scope

    def browser_token(request: web.Request) -> str:
        token = request.cookies.get(COOKIE, "")
        return f"Bearer {token}" if token else ""

    def to_login(request: web.Request) -> web.StreamResponse | None:
        """A browser's page (not its API calls, nor a scraper's) goes to the login form."""
        if request.method == "GET" and not request.path.startswith(("/api/", "/metrics", "/static/")) \
                and "text/html" in request.headers.get("Accept", ""):
            return web.Response(status=302, headers={"Location": "/login?" + urllib.parse.urlencode(
                {"next": request.path_qs})})
        return None

    app = web.Application(middlewares=[bearer_check(authorized, OPEN_PATHS, browser_token, to_login)])
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_handler(registry))
    if dispatcher is not None:
        Dashboard(dispatcher, tokens).add_routes(app)
    return app
