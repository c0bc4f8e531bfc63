"""Start the server: the gRPC API behind a bearer-token check, over a store, and its HTTP side
(metrics, health) on an address of its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import urllib.parse

import grpc

from .._shared.aio import run_loop, signalled
from .._wire import api_pb2_grpc
from .._wire.channel import MAX_MESSAGE_BYTES
from .api.convert import read_spec
from .api.direct import DirectPort
from .api.rpc_metrics import RpcMetrics
from .api.token_check import TokenCheck
from .auth import Tokens
from .clock import SystemClock
from .dispatch import APP_HEARTBEAT_TIMEOUT_S, WORKER_LEASE_S, Dispatcher
from .logs import DEFAULT_MAX_BYTES, DEFAULT_RETENTION_S, LogHub
from .blobs import BlobStore, default_blob_dir
from .chunks import ChunkStore
from .retention import DEFAULT_CALL_RETENTION_S, CallPruner
from .reads import Reads
from .runs import restore_runs
from .service import LeveretService
from .secrets import default_key_dir
from .store import Store, open_store
from .writes import WriteBehind

log = logging.getLogger("leveret.server")

GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.so_reuseport", 0),
]


def _url_of(sock, scheme: str = "http") -> str:
    """SCHEME://HOST:PORT of a listening socket, as a client on this host reaches it."""
    host, port = sock.getsockname()[:2]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def _tls_context(cert_and_key: tuple[str, str], *, h2: bool = True):
    """A server's TLS context; with ``h2``, HTTP/2 where the client offers it (gateway_h2.py)."""
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*cert_and_key)
    context.set_alpn_protocols(["h2", "http/1.1"] if h2 else ["http/1.1"])
    return context


def _grpc_credentials(cert_and_key: tuple[str, str]) -> grpc.ServerCredentials:
    import pathlib

    cert, key = (pathlib.Path(path).read_bytes() for path in cert_and_key)
    _tls_context(cert_and_key)   # refused here, with the reason, if the two do not make a pair
    return grpc.ssl_server_credentials([(key, cert)])


def _bind(bind, listen: str, what: str, option: str):
    """A socket listening on ``listen`` for ``what``; an OSError naming ``option`` if it cannot."""
    try:
        return bind(listen)
    except OSError as exc:
        raise OSError(f"could not listen on {listen} for {what} ({exc.strerror or exc}): is the port in use?"
                      f" pick another with {option}") from None


def default_listen(grpc_host: str, grpc_port: int, asked_port: int) -> str:
    """Where the HTTP side listens without --http: the gRPC host and port + 1 (a free port when the
    gRPC port was picked by the system, i.e. asked as 0)."""
    grpc_host = grpc_host.strip("[]")
    host = f"[{grpc_host}]" if ":" in grpc_host else grpc_host
    return f"{host}:{grpc_port + 1 if asked_port else 0}"


class Server:
    """A running server. ``await Server.start(...)``, then ``await server.stop()``."""

    def __init__(self, grpc_server, dispatcher: Dispatcher, port: int, host: str, tokens: Tokens,
                 http_socket, call_pruner: CallPruner, pruners: tuple[asyncio.Task, ...] = (), *,
                 scheme: str = "http", http_ssl=None):
        self.grpc_server = grpc_server
        self.call_pruner = call_pruner   # prune(now) deletes what the call retention no longer keeps
        self.pruners = pruners           # periodic tasks: log lines, calls
        self.tokens = tokens
        self.dispatcher = dispatcher
        self.port = port
        self.url = f"{scheme}://{host}:{port}"   # https: over TLS (leveret server --tls-cert), as every side then
        self.http = None                 # the HTTP side, once serving
        self.direct: DirectPort | None = None   # Dicts' calls without gRPC (api/direct.py), once listening
        self.http_url = _url_of(http_socket, scheme)   # GET /metrics (the server's token), GET /healthz
        self.gateway_url = ""            # web functions' requests (gateway.py), once listening
        self.routes = None               # their URLs (routes.py)
        self.gateway = None
        self._gateway_start: asyncio.Task | None = None
        # The HTTP side's port is bound already (connections wait in its backlog); aiohttp, slow to
        # import, serves it right after the start, off the path of a client waiting for the API.
        self._http_start = asyncio.get_running_loop().create_task(self._serve_http(http_socket, http_ssl))

    @classmethod
    async def start(cls, *, listen: str, db: str, token: str, worker_lease_s: float = WORKER_LEASE_S,
                    log_retention_s: float = DEFAULT_RETENTION_S, log_max_bytes: int = DEFAULT_MAX_BYTES,
                    call_retention_s: float = DEFAULT_CALL_RETENTION_S, http_listen: str | None = None,
                    blob_dir: str | None = None, progress=None, clock=None, direct_port: int = 0,
                    gateway_listen: str | None = None, gateway_tls: tuple[str, str] | None = None,
                    gateway_domain: str = "", tls: tuple[str, str] | None = None) -> "Server":
        """Serve gRPC on ``listen`` and HTTP on ``http_listen`` (default: the same host, port + 1).
        A finished call's inputs and outputs are kept for ``call_retention_s``, log lines for
        ``log_retention_s`` (and under ``log_max_bytes``). Payloads over the inline limit are kept in
        ``blob_dir`` (default: beside a SQLite database). ``progress(text)`` is told what it does.
        ``clock`` is the server's time (server/clock.py; tests give a FakeClock). Dicts' calls are
        served on ``direct_port`` of the same host too (0: any free one; api/direct.py), web
        functions' requests on ``gateway_listen`` (default: the same host, port + 2; gateway.py),
        over TLS with ``gateway_tls`` (a certificate chain's file and its key's), by host name too
        under ``gateway_domain`` (routes.py). With ``tls`` (the same pair), gRPC, the HTTP side and
        the gateway (unless it has its own) are served over TLS, and the direct port only on its
        unix socket."""
        from .._shared.listen import bind

        say = progress or (lambda text: None)
        clock = clock or SystemClock()
        say("opening the store")
        blob_dir = blob_dir or default_blob_dir(db)
        store = await asyncio.to_thread(open_store, db, clock)   # a migration may take a while: the loop goes on
        writes = WriteBehind(store)
        reads = Reads(writes)
        stale = await writes.run(Store.stop_all_apps, "the server restarted", keep_deployed=True, keep_ephemeral=True)
        if stale:
            log.info("stopped %d app(s) left running by a previous server", stale)
        logs = LogHub(writes, reads, retention_s=log_retention_s, max_bytes=log_max_bytes, clock=clock)
        await logs.load()
        dispatcher = Dispatcher(writes, reads, logs, worker_lease_s=worker_lease_s,
                                blobs=BlobStore(blob_dir, writes, reads, clock),
                                chunks=ChunkStore(os.path.join(blob_dir, "chunks")),   # Volumes' files, beside
                                read_spec=read_spec, clock=clock, secret_key_dir=default_key_dir(db))
        restored = await dispatcher.deployments.restore(progress)
        if restored:
            log.info("restored %d deployed app version(s)", restored)
        runs = await restore_runs(dispatcher, progress)
        if runs:
            log.info("restored %d run(s) of the previous server: each waits %.0f s for its client to come back",
                     runs, APP_HEARTBEAT_TIMEOUT_S)
        call_pruner = CallPruner(dispatcher, retention_s=call_retention_s,   # after restore: restored calls are held
                                 on_pruned=dispatcher.blobs.delete_of_calls)
        tokens = Tokens(token, writes)
        await tokens.load()
        dispatcher.container_token = tokens.container_token
        server = grpc.aio.server(interceptors=[RpcMetrics(dispatcher.metrics.rpc), TokenCheck(tokens)],
                                 options=GRPC_OPTIONS)
        service = LeveretService(dispatcher, logs, tokens, call_retention_s=call_retention_s)
        api_pb2_grpc.add_LeveretServicer_to_server(service, server)
        host, _, port = listen.rpartition(":")
        async with contextlib.AsyncExitStack() as undo:   # what is made so far, undone if a later step fails
            undo.push_async_callback(dispatcher.close_store)
            gateway_tls = gateway_tls or tls   # the gateway's own certificate, else the server's
            try:
                credentials = _grpc_credentials(tls) if tls else None
                http_ssl = _tls_context(tls, h2=False) if tls else None
            except (OSError, ValueError) as exc:
                raise OSError(f"could not use the TLS certificate and key {tls}: {exc}") from None
            try:
                gateway_ssl = _tls_context(gateway_tls) if gateway_tls else None
            except (OSError, ValueError) as exc:
                raise OSError(f"could not use the gateway's TLS certificate and key {gateway_tls}: {exc}") from None
            try:
                bound = server.add_secure_port(listen, credentials) if tls else server.add_insecure_port(listen)
            except RuntimeError:   # newer gRPC raises where older ones returned 0
                bound = 0
            if bound == 0:
                raise OSError(f"could not listen on {listen}: is the port in use? pick another with --listen HOST:PORT")
            undo.push_async_callback(server.stop, None)
            http_listen = http_listen or default_listen(host, bound, int(port) if port.isdigit() else 0)
            http_socket = _bind(bind, http_listen, "HTTP", "--http HOST:PORT")
            undo.callback(http_socket.close)
            direct = DirectPort(service, tokens)
            try:   # the same host; any free port (clients ask for it: DirectPortGet), or the one asked for
                await direct.start(host.strip("[]"), direct_port, tcp=not tls)
            except OSError as exc:
                raise OSError(f"could not listen on port {direct_port} for the direct port ({exc.strerror or exc}):"
                              " pick another with --direct-port PORT") from None
            undo.push_async_callback(direct.stop)
            gateway_listen = gateway_listen or default_listen(host, bound + 1, int(port) if port.isdigit() else 0)
            gateway_socket = _bind(bind, gateway_listen, "the gateway", "--gateway HOST:PORT")
            undo.pop_all()
        direct.web_links = dispatcher.web_links
        service.direct = direct
        service.routes.url = _url_of(gateway_socket, "https" if gateway_ssl else "http")
        service.http_url = _url_of(http_socket, "https" if tls else "http")   # (`leveret dashboard` asks)
        service.routes.tcp.host = gateway_socket.getsockname()[0]
        service.routes.tcp.advertised = urllib.parse.urlsplit(service.routes.url).hostname or "127.0.0.1"
        service.routes.domain = gateway_domain.strip(".").lower()
        await server.start()
        dispatcher.start()
        loop = asyncio.get_running_loop()
        pruners = (loop.create_task(logs.prune_forever()), loop.create_task(call_pruner.prune_forever()),
                   loop.create_task(dispatcher.blobs.prune_orphans_forever()),
                   loop.create_task(dispatcher.expiry.sweep_forever()))
        made = cls(server, dispatcher, bound, host.strip("[]") or "127.0.0.1", tokens, http_socket, call_pruner, pruners,
                   scheme="https" if tls else "http", http_ssl=http_ssl)
        made.direct = direct
        made.gateway_url = service.routes.url
        made.routes = service.routes
        made._gateway_start = loop.create_task(made._serve_gateway(gateway_socket, service.routes, gateway_ssl))
        return made

    async def _serve_http(self, sock, ssl_context=None) -> None:
        from .._shared.http import Listener
        from . import http, metrics

        try:
            self.http = await Listener.serve(http.make_app(self.tokens, metrics.registry(self.dispatcher),
                                                           self.dispatcher), sock, ssl_context=ssl_context)
        except Exception:
            log.exception("the HTTP side (/metrics, /healthz, the dashboard) could not start")
            sock.close()

    async def _serve_gateway(self, sock, routes, tls) -> None:
        from .._shared.http import Listener
        from . import gateway_h2
        from .gateway import Gateway

        try:   # HTTP/1.1 and HTTP/2 (gateway_h2.py)
            runner = await gateway_h2.serve(Gateway(self.dispatcher, routes, self.tokens).application(), sock, tls)
            self.gateway = Listener(runner, *sock.getsockname()[:2])
        except Exception:
            log.exception("the gateway (web functions' requests) could not start")
            sock.close()

    async def stop(self, grace: float = 1.0) -> None:
        await asyncio.gather(self._http_start, *([self._gateway_start] if self._gateway_start else []),
                             return_exceptions=True)
        for listener in (self.http, self.gateway):
            if listener is not None:
                await listener.stop()
        for task in self.pruners:
            task.cancel()
        await asyncio.gather(*self.pruners, return_exceptions=True)
        await self.dispatcher.close()
        if self.direct is not None:
            await self.direct.stop()
        await self.grpc_server.stop(grace)
        await self.dispatcher.close_store()   # after the handlers: what they queued is committed

    async def wait(self) -> None:
        await self.grpc_server.wait_for_termination()


async def serve_forever(listen: str, db: str, token: str, ready=None, worker_lease_s: float = WORKER_LEASE_S,
                        **options) -> None:
    """Serve until SIGTERM or SIGINT, then stop; each end is logged with its reason."""
    server = await Server.start(listen=listen, db=db, token=token, worker_lease_s=worker_lease_s, **options)
    if ready is not None:
        ready(server)
    got = signalled(signal.SIGTERM, signal.SIGINT)
    try:
        log.info("leveret server stopping: received %s", (await got).name)
    finally:
        await server.stop()
        log.info("leveret server stopped")


def run(listen: str, db: str, token: str, ready=None, worker_lease_s: float = WORKER_LEASE_S, **options) -> None:
    """Serve until interrupted; ``options`` as Server.start takes them (retention and log limits, http_listen)."""
    run_loop(serve_forever(listen, db, token, ready, worker_lease_s, **options))
