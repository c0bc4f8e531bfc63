"""A private-network container's ports, published on its worker's host for the gateway to reach.

    publish(its address, ports, bind) ─▶ a listener per port on the host (a port the kernel picks,
        at the worker's address towards the server: ``toward``) ─▶
    each connection: one to ADDRESS:PORT, bytes copied both ways until either side closes

A sandbox on a private network (runtime/network.py) has an address only its worker's host can
reach; the gateway's tunnels (server/routes.py) connect to its worker's host at the published port.
A function's container publishes a port when it forwards it (``leveret.forward``): the worker that
relays its TunnelOpen publishes the port and says where (``host_port``), and unpublishes it at its
TunnelClose or the container's end (``tunnel_call``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .task_runner import ContainerTask

log = logging.getLogger("leveret.worker")


def toward(server_host: str) -> str:
    """This host's address on the way to the server: where the gateway reaches its worker (the address
    the worker's link comes from), so a published port listens there only, not on every interface."""
    import socket

    try:
        family = socket.getaddrinfo(server_host, None)[0][0]
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.connect((server_host, 9))   # (a UDP connect sends nothing)
            return s.getsockname()[0]
    except OSError:
        return "0.0.0.0"


async def publish(address: str, ports, bind: str = "0.0.0.0") -> tuple[dict[int, int], list[asyncio.AbstractServer]]:
    """({its port: the host's port at ``bind``}, the listeners: close them when the container ends)."""
    published, servers = {}, []
    for port in ports:
        server = await asyncio.start_server(lambda r, w, p=port: _forward(r, w, address, p), bind, 0)
        servers.append(server)
        published[port] = server.sockets[0].getsockname()[1]
    return published, servers


async def tunnel_call(task: "ContainerTask", server, method: str, body: str) -> str:
    """A container's TunnelOpen / TunnelClose, relayed: its port published first where it has a
    network of its own (the request's host_port is the worker's to say, never the container's)."""
    fields = json.loads(body)
    fields.pop("host_port", None)
    address = task.agent.runtime.address(task.handle) if task.handle is not None else ""
    port, servers = fields.get("port"), []
    if method == "TunnelOpen" and address and isinstance(port, int) and 0 < port < 65536:
        published, servers = await publish(address, [port], task.agent.publish_address)
        fields["host_port"] = published[port]
    try:
        reply = await server.object_call(method, json.dumps(fields))
    except BaseException:
        close(servers)
        raise
    if servers:
        task.tunnels[json.loads(reply)["tunnel_id"]] = servers
    if method == "TunnelClose":
        close(task.tunnels.pop(fields.get("tunnel_id"), []))
    return reply


def close(servers) -> None:
    for s in servers:
        s.close()


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
