"""The SDK's connection to a server, shared by everything in the process (lives on the background loop).

When the server goes away mid-run (a restart, a crash of the embedded daemon) the client reconnects
— starting the embedded daemon again when that is its server — and what was in flight carries on,
with a one-line notice: unary calls are sent again, ``.remote()`` calls are sent again under the
ids they were made with (the server finds them), maps resume from where they were (function.py),
and logs follow on from their last line (_runner.py). Only a server the client has reached once
is waited for; one never reached is an error at once.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time

from . import config
from ._shared.aio import at_shutdown
from .exception import ConnectionError

_client: "Client | None" = None

RECONNECT_WINDOW_S = 90.0   # how long a server that went away is waited for (its apps wait 60 s for their clients)


class Client:
    def __init__(self, url: str, token: str, *, embedded: bool = False):
        self.token = token
        self.embedded = embedded   # the local daemon: started again if it died
        self._open(url)
        self.reached = False       # an RPC has succeeded: from then on a lost server is waited for
        self.generation = 0        # bumped by each reconnect
        self._reconnecting: asyncio.Future | None = None
        self._remote_queue: asyncio.Queue | None = None
        self._remote_reader: asyncio.Task | None = None
        # tag -> (future, request, generation it was sent in) of .remote() calls without a result yet
        self._remote_pending: dict[int, list] = {}
        self._remote_tags = itertools.count(1)
        self.direct = None          # the server's direct port (_wire/direct.py), once found: Dict calls
        self._direct_asked = -1     # the generation it was last asked for in (a restarted server: again)

    def _open(self, url: str) -> None:
        from ._wire.channel import open_channel

        self.url = url
        self.channel, self.stub = open_channel(url, self.token)

    @classmethod
    async def get(cls) -> "Client":
        """The process's client: LEVERET_SERVER_URL if set, else the embedded daemon (started if needed)."""
        global _client
        if _client is None:
            from ._container_client import ContainerClient, socket_path

            inside = socket_path()
            if inside is not None:   # in a container: its calls go through its worker
                _client = ContainerClient(inside)
                if _close_client not in at_shutdown:
                    at_shutdown.append(_close_client)
                return _client
            server = config.explicit_server()
            if server is None:
                from . import _daemon

                info = await asyncio.get_running_loop().run_in_executor(None, _daemon.ensure_running)
                server = config.ServerConfig(info["url"], config.ensure_token(), embedded=True)
            _client = cls(server.url, server.token, embedded=server.embedded)
            if _close_client not in at_shutdown:
                at_shutdown.append(_close_client)
        return _client

    # ------------------------------------------------------------------ the server going away

    def gone(self, err) -> bool:
        """Whether an RPC's error means the server went away (and may come back): it could not be
        reached, or it ended the call while stopping."""
        import grpc

        return self.reached and err.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)

    async def reconnect(self, generation: int) -> None:
        """The server went away while ``generation`` was current: wait until it is back (at once if
        another caller already reconnected); ConnectionError once RECONNECT_WINDOW_S have passed."""
        if generation != self.generation:
            return
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.ensure_future(self._reconnect())
        await asyncio.shield(self._reconnecting)

    async def _reconnect(self) -> None:
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        print(f"leveret: lost the server at {self.url}; reconnecting", file=sys.stderr, flush=True)
        delay = 0.1
        while True:
            try:
                if self.embedded:   # it died: start it again (on its old port, if free)
                    from . import _daemon

                    info = await loop.run_in_executor(None, lambda: _daemon.ensure_running(unless_stopped=True))
                    if info["url"] != self.url:
                        old = self.channel
                        self._open(info["url"])
                        await old.close()
                await asyncio.wait_for(self.channel.channel_ready(), timeout=max(delay, 1.0))
                break
            except (asyncio.TimeoutError, ConnectionError, OSError):
                if time.monotonic() - started > RECONNECT_WINDOW_S:
                    raise ConnectionError(
                        f"lost the server at {self.url} and it did not come back within {RECONNECT_WINDOW_S:.0f} s:"
                        " start it again (`leveret server start`, or your `leveret server`), then run again") from None
                await asyncio.sleep(delay)
                delay = min(2 * delay, 2.0)
        self.generation += 1
        print(f"leveret: reconnected to {self.url} after {time.monotonic() - started:.1f} s; resuming",
              file=sys.stderr, flush=True)

    # ------------------------------------------------------------------ calls

    async def call(self, method: str, request):
        """A unary RPC, sent again after a reconnect if the server went away (a request that could
        be stored already says so: ``again``), with its error turned into a Leveret exception."""
        import grpc

        while True:
            generation = self.generation
            try:
                response = await getattr(self.stub, method)(request)
                self.reached = True
                return response
            except grpc.aio.AioRpcError as err:
                if not self.gone(err):
                    raise self.translate(err) from None
            await self.reconnect(generation)
            if hasattr(request, "again"):
                request.again = True

    async def remote(self, function_id: str, inp):
        """One call on the client's shared FunctionRemote stream; returns its Output."""
        from ._shared.ids import new_id
        from ._wire import api_pb2 as pb

        tag = next(self._remote_tags)
        fut = asyncio.get_running_loop().create_future()
        request = pb.FunctionRemoteRequest(tag=tag, function_id=function_id, input=inp, call_id=new_id("fc"))
        self._remote_pending[tag] = [fut, request, self.generation]
        self._send_remote(request)
        try:
            resp = await fut
        except asyncio.CancelledError:
            if self._remote_pending.pop(tag, None) is not None:
                self._send_remote(pb.FunctionRemoteRequest(tag=tag, cancel=True))
            raise
        if resp.not_found:
            from .exception import NotFoundError

            raise NotFoundError(resp.not_found)
        if resp.refused:
            from .exception import AuthError

            raise AuthError(resp.refused)
        if resp.invalid:
            from .exception import InvalidError

            raise InvalidError(resp.invalid)
        return resp.output

    async def lookup(self, app_name: str, function_name: str, environment: str,
                     version: int = 0) -> tuple[str, bool, str]:
        """A deployed function's id, whether it is a generator, and its URL if it is a web function."""
        from ._wire import api_pb2 as pb

        found = await self.call("FunctionLookup", pb.FunctionLookupRequest(
            app_name=app_name, function_name=function_name, environment_name=environment, version=version))
        return found.function_id, found.is_generator, found.web_url

    async def bind(self, function_id: str, params: str, options: str = "") -> str:
        """The function of an @app.cls for a parameter set (canonical text: _shared/params.py), or of
        a function or class with other options (JSON: _with_options.py)."""
        from ._wire import api_pb2 as pb

        resp = await self.call("FunctionBind", pb.FunctionBindRequest(function_id=function_id, params=params,
                                                                      options=options))
        return resp.function_id

    async def spawn(self, function_id: str, inp) -> str:
        """Start a call of one input; its id."""
        from ._shared.ids import new_id
        from ._wire import api_pb2 as pb

        resp = await self.call("FunctionSpawn", pb.FunctionSpawnRequest(function_id=function_id, call_id=new_id("fc"),
                                                                        input=inp))
        return resp.call_id

    async def call_get(self, call_id: str, timeout: float | None):
        """A call's (first) output, or None if it did not come within ``timeout`` seconds."""
        from ._wire import api_pb2 as pb

        resp = await self.call("FunctionCallGet", pb.FunctionCallGetRequest(
            call_id=call_id, timeout_s=-1.0 if timeout is None else float(timeout)))
        return None if resp.timed_out else resp.outputs[0]

    async def call_cancel(self, call_id: str, *, terminate_containers: bool = False) -> None:
        from ._wire import api_pb2 as pb

        await self.call("FunctionCallCancel", pb.FunctionCallCancelRequest(
            call_id=call_id, terminate_containers=terminate_containers))

    async def find_direct(self) -> None:
        """Ask the server for its direct port, once per connection to it (``self.direct`` then is
        its client, or None where it has none): its unix socket where this process reaches it (the
        same host), else its TCP port."""
        if self._direct_asked == self.generation:
            return
        import grpc

        from ._wire import api_pb2 as pb
        from ._wire.channel import target_of
        from ._wire.direct import DirectClient, reaches

        self._direct_asked = self.generation
        try:
            found = await self.stub.DirectPortGet(pb.DirectPortGetRequest())
        except grpc.aio.AioRpcError:   # an older server: gRPC only
            return
        local = "\0" + found.local_socket
        if found.local_socket and reaches(local):
            self.direct = DirectClient(local, self.token, self.url)
        elif found.port:   # none over TLS: its calls go by gRPC
            self.direct = DirectClient((target_of(self.url).rpartition(":")[0].strip("[]"), found.port), self.token,
                                       self.url)

    async def object_call(self, method: str, fields: dict) -> dict:
        """A named-object RPC with its request and response as protobuf's JSON mapping (bytes in
        base64): the form the SDK's objects use, the same from inside a container (ContainerClient)."""
        from google.protobuf import json_format

        from ._wire import api_pb2 as pb

        response = await self.call(method, json_format.ParseDict(fields, getattr(pb, method + "Request")()))
        return json_format.MessageToDict(response, preserving_proto_field_name=True,
                                         always_print_fields_with_no_presence=True)

    async def call_graph(self, call_id: str) -> list[tuple]:
        """The rows of the tree of calls under ``call_id`` (call_graph.reconstruct reads them)."""
        from ._wire import api_pb2 as pb

        resp = await self.call("FunctionCallGraph", pb.FunctionCallGraphRequest(call_id=call_id))
        return [(i.input_id, i.call_id, i.parent_input_id, i.function_id, i.function_name, i.module_name, i.status,
                 i.container_id, i.idx) for i in resp.inputs]

    def map_outputs(self, function_id: str, arg_iter, on_total=None, *, spawn: bool = False):
        """A map's outputs as they come, its inputs sent meanwhile (_map.py); ``spawn``: none, and
        done once the server has every input (spawn_map)."""
        from ._map import MapStream

        return MapStream(self, function_id, arg_iter, on_total, spawn=spawn).outputs()

    def _send_remote(self, request) -> None:
        if self._remote_queue is None:
            queue: asyncio.Queue = asyncio.Queue()
            self._remote_queue = queue
            self._remote_reader = asyncio.ensure_future(self._read_remote(queue))
        self._remote_queue.put_nowait(request)

    async def _read_remote(self, queue: asyncio.Queue) -> None:
        import grpc

        from ._shared.aio import queue_items

        generation = self.generation
        stream = self.stub.FunctionRemote(queue_items(queue))
        pending = self._remote_pending
        error: Exception | None
        try:
            async for resp in stream:
                self.reached = True
                entry = pending.pop(resp.tag, None)
                if entry is not None and not entry[0].done():
                    entry[0].set_result(resp)
            error = self.translate_closed()
        except grpc.aio.AioRpcError as err:
            error = None if self.gone(err) else self.translate(err)
        except asyncio.CancelledError:
            stream.cancel()
            raise
        finally:
            queue.put_nowait(None)  # ends the request stream
            if self._remote_queue is queue:
                self._remote_queue = None
        if error is None and pending:   # the server went away with calls in flight: again, once it is back
            try:
                await self.reconnect(generation)
            except ConnectionError as exc:
                error = exc
            else:
                for entry in list(pending.values()):
                    if entry[2] < self.generation:   # not sent again yet (by another stream's reader)
                        entry[1].again = True
                        entry[2] = self.generation
                        self._send_remote(entry[1])
                return
        for fut, _, _ in pending.values():
            if not fut.done():
                fut.set_exception(error or self.translate_closed())
        pending.clear()

    async def close(self) -> None:
        if self._remote_reader is not None:
            self._remote_reader.cancel()
            await asyncio.gather(self._remote_reader, return_exceptions=True)
        if self.direct is not None:
            self.direct.close()
        await self.channel.close()

    # ------------------------------------------------------------------ payloads

    async def input(self, idx: int, args: bytes):
        """An Input with these pickled arguments: inline, or uploaded as a blob when over the inline limit."""
        from ._wire import api_pb2 as pb
        from ._shared.payloads import INLINE_LIMIT
        from ._wire.blobs import put

        if len(args) <= INLINE_LIMIT:
            return pb.Input(idx=idx, args=args)
        return pb.Input(idx=idx, args_blob_id=await self._blob_call(lambda: put(self.stub, args)))

    async def value(self, output):
        """The value of an output, or raise the exception it stands for; data over the inline limit
        is read from its blob into a temporary file and unpickled from there (never held twice)."""
        from . import _serialization as ser

        if not output.data_blob_id:
            return ser.output_value(output.status, output.data, output.message)
        from ._wire.blobs import get

        with await self._blob_call(lambda: get(self.stub, output.data_blob_id)) as f:
            return ser.output_value_from_file(output.status, f, output.message)

    async def _blob_call(self, make):
        """``make()``'s blob transfer, made again after a reconnect if the server went away."""
        import grpc

        while True:
            generation = self.generation
            try:
                return await make()
            except grpc.aio.AioRpcError as err:
                if not self.gone(err):
                    raise self.translate(err) from None
            await self.reconnect(generation)

    def translate_closed(self) -> Exception:
        from .exception import ExecutionError

        return ExecutionError(f"the server at {self.url} closed the call stream")

    def translate(self, err) -> Exception:
        from ._wire.channel import translate

        return translate(err, self.url)


async def _close_client() -> None:
    global _client
    client, _client = _client, None
    if client is not None:
        await client.close()


def reset() -> None:
    """Close and forget the process's client (tests point it elsewhere)."""
    if _client is not None:
        from ._shared.aio import run_sync

        run_sync(_close_client())


__all__ = ["Client", "ConnectionError", "reset"]
