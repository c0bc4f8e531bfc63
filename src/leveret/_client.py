"""The SDK's connection to a server, shared by everything in the process (lives on the background loop)."""

from __future__ import annotations

import asyncio

from . import config
from .exception import ConnectionError

_client: "Client | None" = None


class Client:
    def __init__(self, url: str, token: str):
        from ._wire.channel import open_channel

        self.url = url
        self.channel, self.stub = open_channel(url, token)

    @classmethod
    async def get(cls) -> "Client":
        """The process's client: LEVERET_SERVER_URL if set, else the embedded daemon (started if needed)."""
        global _client
        if _client is None:
            server = config.explicit_server()
            if server is None:
                from . import _daemon

                info = await asyncio.get_running_loop().run_in_executor(None, _daemon.ensure_running)
                server = config.ServerConfig(info["url"], config.ensure_token(), embedded=True)
            _client = cls(server.url, server.token)
        return _client

    async def call(self, method: str, request):
        """A unary RPC, with its error turned into a Leveret exception."""
        import grpc

        try:
            return await getattr(self.stub, method)(request)
        except grpc.aio.AioRpcError as err:
            raise self.translate(err) from None

    def translate(self, err) -> Exception:
        from ._wire.channel import translate

        return translate(err, self.url)


def reset() -> None:
    """Forget the process's client (tests point it elsewhere)."""
    global _client
    _client = None


__all__ = ["Client", "ConnectionError", "reset"]
