"""Raw TCP tunnels (``leveret.forward(port, unencrypted=True)``): a port of the gateway's host of
each tunnel's own, whose connections are passed to the container's port byte for byte.

    TunnelOpen(unencrypted) ─▶ open(): a listener on the gateway's address, a free port
    a connection ─▶ routes.tunnel(ID) still leads somewhere? ─▶ a connection to the container's
        port (its worker's address), bytes copied both ways, each direction's end passed on
    TunnelClose, the tunnel found dead at a connection (its container ended), the server's end ─▶ close()
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .routes import Routes

log = logging.getLogger("leveret.server")

_READ = 64 * 1024


class TcpTunnels:
    def __init__(self, routes: "Routes"):
        self.routes = routes
        self.host = "127.0.0.1"         # where to listen: the gateway's address (main.py sets it)
        self.advertised = "127.0.0.1"   # and the name clients are told (the gateway URL's host)
        self._servers: dict[str, asyncio.AbstractServer] = {}

    async def open(self, tunnel_id: str) -> int:
        """Listen for ``tunnel_id``'s connections; the port."""
        server = await asyncio.start_server(lambda r, w: self._connection(tunnel_id, r, w), self.host, 0)
        self._servers[tunnel_id] = server
        return server.sockets[0].getsockname()[1]

    def close(self, tunnel_id: str) -> None:
        server = self._servers.pop(tunnel_id, None)
        if server is not None:
            server.close()

    def close_all(self) -> None:
        for tunnel_id in list(self._servers):
            self.close(tunnel_id)

    async def _connection(self, tunnel_id: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("",)
        found, why = self.routes.tunnel(tunnel_id, str(peer[0]))
        if found is None and "inbound_cidr_allowlist" in why:   # this client is refused; others are not
            log.info("%s", why)
            writer.close()
            return
        if found is None:   # closed, or its container ended: so does its port
            self.close(tunnel_id)
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(found.host, found.port)
        except OSError as exc:
            log.info("tunnel %s: nothing answers on port %d of container %s (%s)", tunnel_id, found.port,
                     found.container_id, exc)
            writer.close()
            return
        try:
            await asyncio.gather(_copy(reader, up_writer), _copy(up_reader, writer))
        finally:   # both directions ended
            writer.close()
            up_writer.close()


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One direction, until its end (passed on as a half close) or an error (the connection closed)."""
    try:
        while data := await reader.read(_READ):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()
