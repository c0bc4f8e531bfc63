"""The server's HTTP side, beside the gRPC API on an address of its own (``leveret server --http``):

    GET /healthz   open: "ok" while the server runs (for load balancers and supervisors)
    GET /metrics   Prometheus exposition (server/metrics.py); needs ``Authorization: Bearer <server token>``

One aiohttp Application; the web dashboard adds its routes here. Every route but /healthz needs
the server's token (a worker's own token is refused: it only connects a worker).
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CollectorRegistry

from .._utils.http import bearer_check, metrics_handler
from .auth import ADMIN, Tokens

OPEN_PATHS = frozenset({"/healthz"})


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


def make_app(tokens: Tokens, registry: CollectorRegistry) -> web.Application:
    def authorized(header: str) -> bool:
        found = tokens.check(header)
        return found is not None and found[0] == ADMIN

    app = web.Application(middlewares=[bearer_check(authorized, OPEN_PATHS)])
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_handler(registry))
    return app


def default_listen(grpc_host: str, grpc_port: int, asked_port: int) -> str:
    """Where the HTTP side listens without --http: the gRPC host and port + 1 (a free port when the
    gRPC port was picked by the system, i.e. asked as 0)."""
    grpc_host = grpc_host.strip("[]")
    host = f"[{grpc_host}]" if ":" in grpc_host else grpc_host
    return f"{host}:{grpc_port + 1 if asked_port else 0}"
