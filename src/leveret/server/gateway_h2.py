"""HTTP/2 on the gateway's port, beside HTTP/1.1: a connection is served as HTTP/2 when its TLS
handshake chose it (ALPN "h2") or, in the clear, when it begins with HTTP/2's preface (prior
knowledge, as `curl --http2-prior-knowledge` and gRPC-style clients connect); any other is
aiohttp's, as before.

    connection ─_Sniff─▶ HTTP/1.1: aiohttp's handler (gateway.py)
                      └▶ HTTP/2 (h2's state machine): each stream ─▶ the same request as HTTP/1.1
                         on the gateway's local socket (aiohttp both ways, one keep-alive pool),
                         its body streamed up as the client sends it (acknowledged to the client
                         as it is passed on: HTTP/2's flow control holds a fast client back), its
                         answer streamed down within the client's windows

The request passed on carries the client's scheme and address in FORWARDED, which the gateway
believes only from its local socket (``forwarded``). A WebSocket over HTTP/2 (RFC 8441) is not
offered: clients open those over HTTP/1.1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import tempfile

from aiohttp import web

log = logging.getLogger("leveret.server")

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
FORWARDED = "X-Leveret-Forwarded"   # "SCHEME HOST PORT" of an HTTP/2 request's client (set here only)
# not passed on, either way (HTTP/2 forbids connection-specific headers)
_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "host",
                  FORWARDED.lower()})


def forwarded(request: web.Request) -> tuple[str, list, str] | None:
    """(scheme, [client host, port], "2") of a request HTTP/2 passed on to the local socket; None for any other."""
    value = request.headers.get(FORWARDED)
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if value is None or sock is None or sock.family != socket.AF_UNIX:
        return None
    scheme, host, port = (value.split(" ") + ["", ""])[:3]
    return scheme, ([host, int(port)] if port.isdigit() else None), "2"


async def serve(app: web.Application, sock: socket.socket, ssl_context=None) -> web.AppRunner:
    """Serve the gateway's ``app`` on ``sock`` (listening), HTTP/1.1 and HTTP/2."""
    local = os.path.join(tempfile.mkdtemp(prefix="leveret-gateway-"), "http1.sock")   # (uvloop reaches no abstract name)
    bridge = _Bridge(local)
    app.on_cleanup.append(bridge.close)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, handler_cancellation=True)
    await runner.setup()
    try:
        await web.UnixSite(runner, local).start()
        await _SniffingSite(runner, sock, ssl_context, bridge).start()
    except OSError:
        await runner.cleanup()
        raise
    return runner


class _SniffingSite(web.SockSite):
    """aiohttp's site on a listening socket, each connection first to _Sniff."""

    def __init__(self, runner, sock, ssl_context, bridge: "_Bridge"):
        super().__init__(runner, sock, ssl_context=ssl_context)
        self.bridge = bridge

    async def start(self) -> None:
        await web.BaseSite.start(self)
        http1, bridge = self._runner.server, self.bridge
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Sniff(http1, bridge), sock=self._sock, ssl=self._ssl_context, backlog=self._backlog)


class _Sniff(asyncio.Protocol):
    """A new connection until it says which HTTP it speaks; then that protocol's from its first byte."""

    def __init__(self, http1, bridge: "_Bridge"):
        self.http1, self.bridge = http1, bridge
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport) -> None:
        self.transport = transport
        tls = transport.get_extra_info("ssl_object")
        if tls is not None:   # the handshake chose
            self._become(_H2(self.bridge) if tls.selected_alpn_protocol() == "h2" else self.http1(), b"")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) < len(PREFACE) and PREFACE.startswith(self.buffer):
            return   # may yet be the preface
        self._become(_H2(self.bridge) if self.buffer.startswith(PREFACE) else self.http1(), self.buffer)

    def _become(self, protocol, data: bytes) -> None:
        self.transport.set_protocol(protocol)
        protocol.connection_made(self.transport)
        if data:
            protocol.data_received(data)

    def eof_received(self):
        return False   # closed before it said anything


class _Bridge:
    """The gateway's HTTP/1.1 side on its local socket, as HTTP/2's streams reach it."""

    def __init__(self, path: str):
        self.path = path
        self.session = None

    def client(self):
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=self.path, limit=0),
                                                 auto_decompress=False, timeout=aiohttp.ClientTimeout(total=None))
        return self.session

    async def close(self, app=None) -> None:
        if self.session is not None:
            await self.session.close()
        shutil.rmtree(os.path.dirname(self.path), ignore_errors=True)


class _Stream:
    __slots__ = ("body", "task", "window")

    def __init__(self):
        self.body: asyncio.Queue = asyncio.Queue()   # (data, its flow-controlled length), None at its end
        self.task: asyncio.Task | None = None
        self.window = asyncio.Event()   # set when the client opens its window further


class _H2(asyncio.Protocol):
    """One HTTP/2 connection: each stream passed on to the gateway's HTTP/1.1 side."""

    def __init__(self, bridge: _Bridge):
        from h2.config import H2Configuration
        from h2.connection import H2Connection

        self.bridge = bridge
        self.conn = H2Connection(H2Configuration(client_side=False, header_encoding="utf-8"))
        self.streams: dict[int, _Stream] = {}
        self.transport: asyncio.Transport | None = None
        self.client = ("", 0)

    def connection_made(self, transport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.client = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) and len(peer) >= 2 else ("", 0)
        self.scheme = "https" if transport.get_extra_info("ssl_object") is not None else "http"
        self.conn.initiate_connection()
        self._flush()

    def data_received(self, data: bytes) -> None:
        from h2 import events
        from h2.exceptions import ProtocolError

        try:
            happened = self.conn.receive_data(data)
        except ProtocolError as exc:
            log.info("gateway: closing an HTTP/2 connection: %s", exc)
            self._flush()
            self.transport.close()
            return
        for event in happened:
            stream = self.streams.get(getattr(event, "stream_id", 0) or 0)
            if isinstance(event, events.RequestReceived):
                made = self.streams[event.stream_id] = _Stream()
                made.task = asyncio.ensure_future(self._serve(event.stream_id, made, event.headers,
                                                              event.stream_ended is not None))
            elif isinstance(event, events.DataReceived) and stream is not None:
                stream.body.put_nowait((event.data, event.flow_controlled_length))
            elif isinstance(event, events.StreamEnded) and stream is not None:
                stream.body.put_nowait(None)
            elif isinstance(event, events.StreamReset) and stream is not None:
                stream.task.cancel()   # the client gave up on it
            elif isinstance(event, events.WindowUpdated):
                for each in ([stream] if stream is not None else self.streams.values()):
                    each.window.set()
            elif isinstance(event, events.ConnectionTerminated):
                self.transport.close()
        self._flush()

    def connection_lost(self, exc) -> None:
        for stream in self.streams.values():
            if stream.task is not None:
                stream.task.cancel()

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data and not self.transport.is_closing():
            self.transport.write(data)

    async def _serve(self, sid: int, stream: _Stream, headers, ended: bool) -> None:
        import aiohttp

        pseudo = {k: v for k, v in headers if k.startswith(":")}
        passed = [(k, v) for k, v in headers if not k.startswith(":") and k not in _HOP]
        passed += [("Host", pseudo.get(":authority", "")), (FORWARDED, f"{self.scheme} {self.client[0]} {self.client[1]}")]
        sent = False
        try:
            async with self.bridge.client().request(pseudo.get(":method", "GET"), "http://gateway" + pseudo.get(":path", "/"),
                                                    headers=passed, data=None if ended else self._body(sid, stream),
                                                    allow_redirects=False, skip_auto_headers=("User-Agent",
                                                                                              "Accept-Encoding")) as up:
                self.conn.send_headers(sid, [(":status", str(up.status))] +
                                       [(k.lower(), v) for k, v in up.headers.items() if k.lower() not in _HOP])
                sent = True
                self._flush()
                async for piece in up.content.iter_any():
                    await self._send(sid, stream, piece)
                self.conn.end_stream(sid)
        except asyncio.CancelledError:
            self._reset(sid)
            raise
        except (aiohttp.ClientError, ConnectionError) as exc:   # (the gateway cut an answer short: so is this one)
            if sent:
                self._reset(sid)
            else:
                self.conn.send_headers(sid, [(":status", "502")], end_stream=True)
            log.info("gateway: an HTTP/2 request could not be passed on: %s", exc)
        except Exception as exc:   # the stream closed under it (h2's StreamClosedError, …)
            log.info("gateway: an HTTP/2 stream ended: %r", exc)
            self._reset(sid)
        finally:
            self.streams.pop(sid, None)
            if not self.transport.is_closing():
                self._flush()

    async def _body(self, sid: int, stream: _Stream):
        """The request's body as the client sends it; each piece acknowledged as it goes on."""
        while (item := await stream.body.get()) is not None:
            data, counted = item
            self.conn.acknowledge_received_data(counted, sid)
            self._flush()
            if data:
                yield data

    async def _send(self, sid: int, stream: _Stream, data: bytes) -> None:
        """``data`` on the stream, as the client's windows let it."""
        view = memoryview(data)
        while view:
            room = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            if room <= 0:
                stream.window.clear()
                await stream.window.wait()
                continue
            self.conn.send_data(sid, bytes(view[:room]))
            view = view[room:]
            self._flush()

    def _reset(self, sid: int) -> None:
        from h2.errors import ErrorCodes

        try:
            self.conn.reset_stream(sid, ErrorCodes.CANCEL)
        except Exception:   # closed already
            pass
