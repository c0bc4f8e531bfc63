"""The server's HTTP side, beside the gRPC API on an address of its own (``leveret server --http``):

    GET /healthz   open: "ok" while the server runs (for load balancers and supervisors)
    GET /metrics   Prometheus exposition (server/metrics.py)
    GET /, /api/…  the web dashboard (server/dashboard/)

One aiohttp Application. Every route but /healthz needs the server's token or a user's (any scope:
all here is read; a worker's own token is refused: it only connects a worker): as ``Authorization:
Bearer <token>``, or, for a browser, in the HttpOnly cookie that ``/login?code=<code>`` sets: a code
that stands for the token of the `leveret dashboard` that asked for it (DashboardLink), once,
within a minute — no token is ever in a URL.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CollectorRegistry

from .._shared.http import bearer_check, metrics_handler
from .auth import SCOPES, Tokens
from .dashboard import COOKIE, LOGIN_TOKEN, Dashboard

OPEN_PATHS = frozenset({"/healthz"})


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


def make_app(tokens: Tokens, registry: CollectorRegistry, dispatcher=None) -> web.Application:
    def authorized(header: str) -> bool:
        found = tokens.check(header)
        return found is not None and found[0] in SCOPES   # the server's token, or a user's of any scope

    def browser_token(request: web.Request) -> str:
        """A browser's token: the one its login link's code stands for (once), then the cookie's."""
        if request.path == "/login":
            token = request[LOGIN_TOKEN] = tokens.redeem(request.query.get("code", ""))
        else:
            token = request.cookies.get(COOKIE, "")
        return f"Bearer {token}" if token else ""

    app = web.Application(middlewares=[bearer_check(authorized, OPEN_PATHS, browser_token)])
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_handler(registry))
    if dispatcher is not None:
        Dashboard(dispatcher).add_routes(app)
    return app
