"""The SDK's connection to a server, shared by everything in the process (lives on the background loop)."""

from __future__ import annotations

import asyncio
import itertools

from . import config
from .exception import ConnectionError

_client: "Client | None" = None


class Client:
    def __init__(self, url: str, token: str):
        from ._wire.channel import open_channel

        self.url = url
        self.channel, self.stub = open_channel(url, token)
        self._remote_queue: asyncio.Queue | None = None
        self._remote_pending: dict[int, asyncio.Future] = {}
        self._remote_tags = itertools.count(1)

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

    async def remote(self, function_id: str, inp):
        """One call on the client's shared FunctionRemote stream; returns its Output."""
        from ._wire import api_pb2 as pb

        if self._remote_queue is None:
            self._open_remote_stream()
        tag = next(self._remote_tags)
        fut = asyncio.get_running_loop().create_future()
        self._remote_pending[tag] = fut
        queue = self._remote_queue
        queue.put_nowait(pb.FunctionRemoteRequest(tag=tag, function_id=function_id, input=inp))
        try:
            resp = await fut
        except asyncio.CancelledError:
            if self._remote_pending.pop(tag, None) is not None:
                queue.put_nowait(pb.FunctionRemoteRequest(tag=tag, cancel=True))
            raise
        if resp.not_found:
            from .exception import NotFoundError

            raise NotFoundError(resp.not_found)
        return resp.output

    def _open_remote_stream(self) -> None:
        queue: asyncio.Queue = asyncio.Queue()
        self._remote_queue = queue

        from ._utils.async_utils import queue_items

        stream = self.stub.FunctionRemote(queue_items(queue))
        pending = self._remote_pending

        async def read():
            import grpc

            try:
                async for resp in stream:
                    fut = pending.pop(resp.tag, None)
                    if fut is not None and not fut.done():
                        fut.set_result(resp)
                error: Exception = self.translate_closed()
            except grpc.aio.AioRpcError as err:
                error = self.translate(err)
            except asyncio.CancelledError:
                stream.cancel()
                raise
            finally:
                queue.put_nowait(None)  # ends the request stream, so nothing is left pending
                if self._remote_queue is queue:
                    self._remote_queue = None
            for fut in pending.values():
                if not fut.done():
                    fut.set_exception(error)
            pending.clear()

        self._remote_reader = asyncio.ensure_future(read())

    async def close(self) -> None:
        reader = getattr(self, "_remote_reader", None)
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        await self.channel.close()

    async def input(self, idx: int, args: bytes):
        """An Input with these pickled arguments: inline, or uploaded as a blob when over the inline limit."""
        from ._wire import api_pb2 as pb
        from ._wire.blobs import INLINE_LIMIT, put

        if len(args) <= INLINE_LIMIT:
            return pb.Input(idx=idx, args=args)
        return pb.Input(idx=idx, args_blob_id=await self._blob_call(put(self.stub, args)))

    async def value(self, output):
        """The value of an output, or raise the exception it stands for; data over the inline limit
        is read from its blob into a temporary file and unpickled from there (never held twice)."""
        from . import _serialization as ser

        if not output.data_blob_id:
            return ser.output_value(output.status, output.data, output.message)
        from ._wire.blobs import get

        with await self._blob_call(get(self.stub, output.data_blob_id)) as f:
            return ser.output_value_from_file(output.status, f, output.message)

    async def _blob_call(self, coro):
        import grpc

        try:
            return await coro
        except grpc.aio.AioRpcError as err:
            raise self.translate(err) from None

    def translate_closed(self) -> Exception:
        from .exception import ExecutionError

        return ExecutionError(f"the server at {self.url} closed the call stream")

    def translate(self, err) -> Exception:
        from ._wire.channel import translate

        return translate(err, self.url)


def reset() -> None:
    """Close and forget the process's client (tests point it elsewhere)."""
    global _client
    client, _client = _client, None
    if client is not None:
        from ._utils.async_utils import run_sync

        run_sync(client.close())


__all__ = ["Client", "ConnectionError", "reset"]
