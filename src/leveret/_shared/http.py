"""What the server's and the workers' HTTP sides share: a bearer-token check, a Prometheus
``/metrics`` handler over a registry, and a listener that says which port it bound.

    listener = await Listener.start(app, "127.0.0.1:0")   # listener.url: http://127.0.0.1:PORT
    await listener.stop()
"""

from __future__ import annotations

import hmac
from typing import Callable

from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

from .listen import split_listen

UNAUTHORIZED = "missing or wrong token: send the header 'Authorization: Bearer <token>'"


def bearer_check(authorized: Callable[[str], bool], open_paths: frozenset[str] = frozenset(),
                 other_token: Callable[[web.Request], str] | None = None,
                 refused: Callable[[web.Request], web.StreamResponse | None] | None = None):
    """A middleware that answers 401 unless ``authorized(<Authorization header>)`` is true (or
    ``authorized(other_token(request))``: a browser's token from a cookie); ``open_paths`` (health
    checks) need no token. ``refused(request)`` may answer a refused request otherwise (a browser:
    sent to a login page)."""

    @web.middleware
    async def check(request: web.Request, handler):
        if (request.path in open_paths or authorized(request.headers.get("Authorization", ""))
                or (other_token is not None and authorized(other_token(request)))):
            return await handler(request)
        answer = refused(request) if refused is not None else None
        if answer is not None:
            return answer
        return web.Response(status=401, text=UNAUTHORIZED + "\n", headers={"WWW-Authenticate": 'Bearer realm="leveret"'})

    return check


def token_equals(token: str) -> Callable[[str], bool]:
    """``authorized`` for ``bearer_check``: the header is ``Bearer <token>`` (compared in constant time)."""
    want = f"Bearer {token}".encode()
    return lambda header: hmac.compare_digest(header.encode(), want)


def build_info(component: str) -> GaugeMetricFamily:
    """``leveret_build_info{version, component} 1``: which Leveret a /metrics is of."""
    from .. import __version__

    info = GaugeMetricFamily("leveret_build_info", "The Leveret that serves these metrics (always 1).",
                             labels=("version", "component"))
    info.add_metric((__version__, component), 1)
    return info


def metrics_handler(registry: CollectorRegistry):
    """``GET /metrics``: the registry in the text format Prometheus asked for (OpenMetrics or 0.0.4)."""

    async def metrics(request: web.Request) -> web.Response:
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encode(registry), headers={"Content-Type": content_type})

    return metrics


class Listener:
    """An aiohttp Application served on one address."""

    def __init__(self, runner: web.AppRunner, host: str, port: int):
        self.runner = runner
        self.port = port
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        self.url = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"

    @classmethod
    async def start(cls, app: web.Application, listen: str, *, handler_cancellation: bool = False) -> "Listener":
        """Serve ``app`` on ``listen`` (port 0: a free one); OSError if the address is taken. With
        ``handler_cancellation``, a handler is cancelled when its client goes away."""
        host, port = split_listen(listen)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, handler_cancellation=handler_cancellation)
        await runner.setup()
        site = web.TCPSite(runner, host, port, reuse_address=True)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        return cls(runner, host, runner.addresses[0][1])

    @classmethod
    async def serve(cls, app: web.Application, sock, *, handler_cancellation: bool = False,
                    ssl_context=None) -> "Listener":
        """Serve ``app`` on a socket already listening (``listen.bind``); ``handler_cancellation`` as
        ``start``; over TLS with ``ssl_context``."""
        runner = web.AppRunner(app, access_log=None, handle_signals=False, handler_cancellation=handler_cancellation)
        await runner.setup()
        try:
            await web.SockSite(runner, sock, ssl_context=ssl_context).start()
        except OSError:
            await runner.cleanup()
            raise
        host, port = sock.getsockname()[:2]
        return cls(runner, host, port)

    async def stop(self) -> None:
        await self.runner.cleanup()
