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
        if request.unencrypted:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "leveret.forward(unencrypted=True), a raw TCP port, is"
                                " not supported yet: forward an HTTP server's port without it")
        if not 1 <= request.port <= 65535:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"leveret.forward({request.port}): a port is 1 to 65535")
        if not self.routes.url:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the gateway is not listening yet: try again")
        tunnel_id, url = self.routes.open_tunnel(container_id, ct.worker.address or "127.0.0.1", request.port)
        self.d.logs.system(ct.function.app_id, ct.function.name, container_id,
                           f"tunnel {tunnel_id} to port {request.port}: {url}")
        return pb.TunnelOpenResponse(tunnel_id=tunnel_id, url=url)

    async def TunnelClose(self, request, context):
        container_id = self.tokens.container_of(context)
        found = self.routes.tunnels.get(request.tunnel_id)
        if found is not None and found.container_id == container_id:
            del self.routes.tunnels[request.tunnel_id]
        return pb.TunnelCloseResponse()
