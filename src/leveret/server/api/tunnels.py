"""TunnelOpen, TunnelClose: a container's port reached through the gateway (leveret.forward;
server/routes.py keeps them, gateway.py proxies to them)."""

from __future__ import annotations

import grpc

from ..._wire import api_pb2 as pb


class TunnelsApi:
    """Mixed into the servicer: needs ``self.d``, ``self.tokens`` and ``self.routes``."""

    async def TunnelOpen(self, request, context):
        container_id = self.tokens.container_of(context)
        ct = self.d.containers.get(container_id) if container_id else None
        if ct is None:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "a tunnel exposes a port of a running container:"
                                " call leveret.forward(port) inside a function")
        if not 1 <= request.port <= 65535:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"leveret.forward({request.port}): a port is 1 to 65535")
        if not self.routes.url:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the gateway is not listening yet: try again")
        # (host_port: its worker published the port of a container with a network of its own)
        tunnel_id, url = self.routes.open_tunnel(container_id, ct.worker.address or "127.0.0.1",
                                                 request.host_port or request.port)
        tcp_host, tcp_port = "", 0
        if request.unencrypted:
            try:
                tcp_host, tcp_port = self.routes.tcp.advertised, await self.routes.tcp.open(tunnel_id)
            except OSError as exc:
                del self.routes.tunnels[tunnel_id]
                await context.abort(grpc.StatusCode.UNAVAILABLE, f"no TCP port for the tunnel on the gateway's host: {exc}")
        self.d.logs.system(ct.function.app_id, ct.function.name, container_id,
                           f"tunnel {tunnel_id} to port {request.port}: {url}"
                           + (f", raw TCP at {tcp_host}:{tcp_port}" if tcp_port else ""))
        return pb.TunnelOpenResponse(tunnel_id=tunnel_id, url=url, tcp_host=tcp_host, tcp_port=tcp_port)

    async def TunnelClose(self, request, context):
        container_id = self.tokens.container_of(context)
        found = self.routes.tunnels.get(request.tunnel_id)
        if found is not None and found.container_id == container_id:
            del self.routes.tunnels[request.tunnel_id]
            self.routes.tcp.close(request.tunnel_id)
        return pb.TunnelCloseResponse()
