"""``leveret.forward(port)``: a port of this container reached from outside through the server's
gateway, as Modal's ``modal.forward``::

    @app.function()
    def notebook():
        subprocess.Popen(["jupyter", "lab", "--port", "8888"])
        with leveret.forward(8888) as tunnel:
            print("open", tunnel.url)
            time.sleep(3600)

The tunnel lasts until the block ends or the container does. The gateway passes HTTP requests and
answers through, streamed both ways; ``unencrypted=True`` also gives a raw TCP port on the gateway's
host (``tunnel.tcp_socket``), its connections passed to the container's port byte for byte (a
database, an SSH server).
"""

from __future__ import annotations

import contextlib
import urllib.parse

from .exception import ExecutionError, InvalidError, NotImplementedOptionError


class Tunnel:
    """Where a forwarded port is reached: ``url`` (and its ``host`` and ``port``); ``tcp_socket``
    with ``unencrypted=True``."""

    def __init__(self, tunnel_id: str, url: str, tcp: tuple[str, int] | None = None):
        self.tunnel_id, self.url, self._tcp = tunnel_id, url, tcp
        parts = urllib.parse.urlsplit(url)
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def tls_socket(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def tcp_socket(self) -> tuple[str, int]:
        """(host, port) of the raw TCP port: only for ``forward(port, unencrypted=True)``."""
        if self._tcp is None:
            raise InvalidError("this tunnel has no raw TCP port: open it with leveret.forward(port, unencrypted=True)")
        return self._tcp

    def __repr__(self) -> str:
        return f"Tunnel({self.url!r})"


@contextlib.contextmanager
def forward(port: int, *, unencrypted: bool = False, h2_enabled: bool = False):
    """Expose ``port`` of this container through the gateway while the block runs: a ``Tunnel``."""
    from ._client import Client
    from ._container_client import socket_path
    from ._shared.aio import run_sync

    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidError(f"leveret.forward({port!r}): a port of this container, 1 to 65535")
    if h2_enabled:
        raise NotImplementedOptionError("leveret.forward(h2_enabled=True) is not supported yet: the gateway"
                                        " speaks HTTP/1.1")
    if socket_path() is None:
        raise ExecutionError("leveret.forward() exposes a port of a container: call it inside a function")
    client = run_sync(Client.get())
    opened = run_sync(client.object_call("TunnelOpen", {"port": port, "unencrypted": bool(unencrypted)}))
    tcp = (opened["tcp_host"], int(opened["tcp_port"])) if opened.get("tcp_port") else None
    try:
        yield Tunnel(opened["tunnel_id"], opened["url"], tcp)
    finally:
        run_sync(client.object_call("TunnelClose", {"tunnel_id": opened["tunnel_id"]}))


__all__ = ["Tunnel", "forward"]
