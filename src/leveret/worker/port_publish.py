"""A private-network container's ports, published on its worker's host for the gateway to reach.

    publish(its address, ports) ─▶ a listener per port on the host (a port the kernel picks) ─▶
    each connection: one to ADDRESS:PORT, bytes copied both ways until either side closes

A sandbox on a private network (runtime/network.py) has an address only its worker's host can
reach; the gateway's tunnels (server/routes.py) connect to its worker's host at the published port.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("leveret.worker")
BIND = "0.0.0.0"   # where the gateway reaches the worker (the address it connected from)


async def publish(address: str, ports) -> tuple[dict[int, int], list[asyncio.AbstractServer]]:
    """({its port: the host's port}, the listeners: close them when the container ends)."""
    published, servers = {}, []
    for port in ports:
        server = await asyncio.start_server(lambda r, w, p=port: _forward(r, w, address, p), BIND, 0)
        servers.append(server)
        published[port] = server.sockets[0].getsockname()[1]
    return published, servers


async def _forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: str, port: int) -> None:
    try:
        inner_reader, inner_writer = await asyncio.open_connection(address, port)
    except OSError as exc:
        log.debug("published port %s:%d: %s", address, port, exc)
        writer.close()
        return
    try:
        await asyncio.gather(_copy(reader, inner_writer), _copy(inner_reader, writer))
    finally:
        writer.close()
        inner_writer.close()


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Until ``reader``'s end, which ``writer`` then says (a half close: the answer may still come)."""
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        pass
