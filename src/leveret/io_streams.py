"""A sandbox process's streams (Modal's ``modal.io_streams``): its stdout and stderr to read, its stdin
to write. The server holds a process's output from the first byte nobody read; a reader asks from its
offset, so one that reconnects goes on where it was."""

from __future__ import annotations

import sys

from ._utils.synchronize import synchronize
from .exception import InvalidError
from .stream_type import StreamType

STDOUT, STDERR = 1, 2


class StreamReader:
    """A process's stdout or stderr: ``read()`` (all of it, to its end), iteration (lines as they
    come when text, else chunks), each with ``.aio`` (``await r.read.aio()``, ``async for``)."""

    def __init__(self, process_id: str, stream: int, text: bool, kind: StreamType = StreamType.PIPE):
        self._process_id, self._stream, self._text, self._kind = process_id, stream, text, kind
        self._offset = 0   # the next byte wanted: a reader that reconnects goes on from here
        self._pending = b""
        self._ended = False
        self._drain = None   # STDOUT / DEVNULL: a task that reads it all as it comes

    def __repr__(self) -> str:
        return f"<StreamReader {self._process_id} {'stdout' if self._stream == STDOUT else 'stderr'}>"

    @property
    def file_descriptor(self) -> int:
        return self._stream

    def _start(self) -> None:
        """STDOUT and DEVNULL: read in the background from now on (printed, or dropped)."""
        if self._kind is StreamType.PIPE:
            return
        import asyncio

        from ._shared.aio import background_loop

        async def drain():
            out = sys.stdout if self._stream == STDOUT else sys.stderr
            async for chunk in self._raw():
                if self._kind is StreamType.STDOUT:
                    out.write(chunk.decode(errors="replace"))
                    out.flush()

        self._drain = asyncio.run_coroutine_threadsafe(drain(), background_loop())

    async def _raw(self):
        """The stream's bytes from where this reader is, as they come, to its end; across a server
        restart it goes on from the same offset."""
        import grpc

        from ._wire import api_pb2 as pb

        from .sandbox import live_client

        client = await live_client()
        while not self._ended:
            generation = client.generation
            try:
                async for r in client.stub.ProcessRead(pb.ProcessReadRequest(
                        process_id=self._process_id, stream=self._stream, offset=self._offset)):
                    if r.eof:
                        self._ended = True
                        return
                    self._offset = r.offset + len(r.data)
                    yield r.data
                return
            except grpc.aio.AioRpcError as err:
                if not client.gone(err):
                    raise client.translate(err) from None
            await client.reconnect(generation)

    def _check_readable(self) -> None:
        if self._kind is not StreamType.PIPE:
            raise InvalidError(f"this stream goes to {self._kind!r}: read it by passing stdout=StreamType.PIPE"
                               " (the default)")

    @synchronize
    async def read(self):
        """All of the stream, to its end (the process's end): str when text, else bytes."""
        self._check_readable()
        parts = [self._pending]
        self._pending = b""
        async for chunk in self._raw():
            parts.append(chunk)
        data = b"".join(parts)
        return data.decode(errors="replace") if self._text else data

    async def _items(self):
        self._check_readable()
        if not self._text:
            if self._pending:
                yield self._pending
                self._pending = b""
            async for chunk in self._raw():
                yield chunk
            return
        import codecs

        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        buf = ""
        pending, self._pending = self._pending, b""
        chunks = self._raw()
        if pending:
            buf = decoder.decode(pending)
        async for chunk in chunks:
            buf += decoder.decode(chunk)
            *lines, buf = buf.split("\n")
            for line in lines:
                yield line + "\n"
        buf += decoder.decode(b"", final=True)
        if buf:
            yield buf

    def __iter__(self):
        from ._shared.aio import iter_sync

        return iter_sync(self._items())

    def __aiter__(self):
        from ._shared.aio import iter_async

        return iter_async(self._items())


class StreamWriter:
    """A process's stdin: ``write`` buffers, ``write_eof`` closes it after what was written, and
    ``drain()`` (``await drain.aio()``) sends what is buffered."""

    def __init__(self, process_id: str):
        self._process_id = process_id
        self._buffer = bytearray()
        self._sent = 0          # bytes the server has
        self._eof = False       # write_eof() was called
        self._eof_sent = False

    def write(self, data) -> None:
        if self._eof:
            raise InvalidError("stdin was closed with write_eof(): it takes nothing more")
        if isinstance(data, str):
            data = data.encode()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InvalidError(f"stdin.write takes bytes or str, not {type(data).__name__}")
        self._buffer += data

    def write_eof(self) -> None:
        self._eof = True

    @synchronize
    async def drain(self) -> None:
        from ._wire import api_pb2 as pb

        chunk = 1024 * 1024
        while self._buffer or (self._eof and not self._eof_sent):
            data = bytes(self._buffer[:chunk])
            last = len(data) == len(self._buffer)
            from .sandbox import _call

            await _call("ProcessWrite", pb.ProcessWriteRequest(process_id=self._process_id, data=data,
                                                                offset=self._sent, eof=self._eof and last))
            del self._buffer[:len(data)]
            self._sent += len(data)
            if self._eof and last:
                self._eof_sent = True




__all__ = ["StreamReader", "StreamWriter"]
