"""A container's payloads over the inline limit, relayed between its socket and the server's blobs.

    server ─BlobGet─▶ the arguments, a chunk at a time ─Blob(input_id, chunk)─▶ bootstrap, then the input
    bootstrap ─Blob(input_id, chunk)─▶ Upload (BlobPut) ─▶ its output names the blob

The worker holds a chunk at a time: reading the container's socket waits while the server takes a
chunk, and writing to it waits while the container reads (backpressure both ways). Batches of
inputs keep their order: one whose arguments are still streaming holds back those after it.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from ..container import protocol
from .model import StoredBlob


def describe(exc: BaseException) -> str:
    details = getattr(exc, "details", None)
    return details() if callable(details) and details() else f"{type(exc).__name__}: {exc}"


class PayloadRelay:
    def __init__(self, server_of: Callable[[], object]):
        self._server_of = server_of   # the server's calls (rpc.ServerCalls) of the stream now
        self._uploads: dict[str, object] = {}
        self._upload_errors: dict[str, str] = {}
        self._feeding: asyncio.Future | None = None

    # ------------------------------------------------------------------ into the container

    def busy(self) -> bool:
        """Whether a batch is still streaming its arguments (a new batch must go after it)."""
        return self._feeding is not None and not self._feeding.done()

    def feed(self, items: list[tuple], send_args: Callable[[str, str], Awaitable[bool]],
             write: Callable[[list[tuple]], None], fail: Callable[[str, int, str], None]) -> None:
        """Stream the arguments of ``items`` (input_id, attempt, args, args_blob, call_id) that are blobs with
        ``send_args`` (False: the container is gone), then ``write`` the batch; an input whose
        arguments cannot be read is ``fail``ed instead."""
        before = self._feeding

        async def run() -> None:
            if before is not None:
                await asyncio.wait({before})
            ready = []
            for item in items:
                input_id, attempt, _, blob_id = item[:4]
                if blob_id:
                    try:
                        if not await send_args(input_id, blob_id):
                            return   # its socket closed: the container's end tells the server what it held
                    except Exception as exc:   # the blob could not be read: this input fails, the others go on
                        fail(input_id, attempt, f"the worker could not read its arguments ({blob_id}): {describe(exc)}")
                        continue
                ready.append(item)
            if ready:
                write(ready)

        self._feeding = asyncio.ensure_future(run())

    def after(self, then: Callable[[], None]) -> None:
        """Call ``then()`` once the batches streaming now are written (a Cancel for one of their inputs
        must come after it, or the container would not know the input yet)."""
        before = self._feeding

        async def run() -> None:
            if before is not None:
                await asyncio.wait({before})
            then()

        self._feeding = asyncio.ensure_future(run())

    # ------------------------------------------------------------------ out of the container

    async def chunk(self, input_id: str, data: bytes) -> None:
        """A chunk of ``input_id``'s next large output."""
        if input_id in self._upload_errors:
            return
        upload = self._uploads.get(input_id)
        if upload is None:
            upload = self._uploads[input_id] = self._server_of().upload()
        try:
            await upload.write(data)
        except Exception as exc:   # the output then fails, saying why; the container goes on
            self._upload_errors[input_id] = describe(exc)
            self.abort(input_id, keep_error=True)

    def abort(self, input_id: str, *, keep_error: bool = False) -> None:
        """The container gave up on this output's stream (it failed to pickle part-way)."""
        upload = self._uploads.pop(input_id, None)
        if upload is not None:
            upload.cancel()
        if not keep_error:
            self._upload_errors.pop(input_id, None)

    async def finish(self, input_id: str) -> tuple[str, str]:
        """The streamed output of ``input_id`` is complete: (its blob id, "") or ("", why it was not stored)."""
        error = self._upload_errors.pop(input_id, None)
        if error is not None:
            return "", error
        upload = self._uploads.pop(input_id, None)
        if upload is None:
            return "", "none of its data arrived"
        try:
            return await upload.finish(), ""
        except Exception as exc:
            return "", describe(exc)

    async def resolve(self, outputs: protocol.Outputs) -> None:
        """Outputs whose data the bootstrap streamed (None): with their blob's id, or failed saying why."""
        data, statuses, messages = list(outputs.data), list(outputs.statuses), list(outputs.messages)
        for i, iid in enumerate(outputs.input_ids):
            if data[i] is None:
                blob_id, error = await self.finish(iid)
                if error:
                    data[i], statuses[i] = b"", protocol.STATUS_INTERNAL_FAILURE
                    messages[i] = f"its result could not be stored: {error}"
                else:
                    data[i] = StoredBlob(blob_id)
        outputs.data, outputs.statuses, outputs.messages = data, statuses, messages

    def close(self) -> None:
        for input_id in list(self._uploads):
            self.abort(input_id)
        if self._feeding is not None:
            self._feeding.cancel()
