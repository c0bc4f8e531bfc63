"""DictUpdate, DictGet, DictLen, DictContents (server/dicts.py), served on the direct port too
(api/direct.py), and DirectPortGet; a Dict is made, listed and deleted
as any named object (api/objects.py)."""

from __future__ import annotations

from ..._wire import api_pb2 as pb
from .. import dicts
from . import refusals_as_status, small


class DictsApi:
    """Mixed into the servicer: needs ``self.d`` (the Dispatcher: its store's threads), and
    ``self.direct`` (api/direct.py's DirectPort: main.py sets it once it listens)."""

    direct = None

    async def DictUpdate(self, request, context):
        async with refusals_as_status(context):
            entries = [(e.key, e.value) for e in request.entries]
            run = self.d.writes.run_now if small([len(k) + len(v) for k, v in entries]) else self.d.writes.run
            written = await run(dicts.put, request.dict_id, entries, request.skip_if_exists)
            return pb.DictUpdateResponse(written=written)

    async def DictGet(self, request, context):
        async with refusals_as_status(context):
            run = self.d.writes.run_now if request.pop else self.d.reads.run_now
            value = await run(dicts.get, request.dict_id, request.key, request.pop)
            if value is None:
                return pb.DictGetResponse(found=False)
            if not request.pop:
                self.d.expiry.touched(request.dict_id, [request.key])
            return pb.DictGetResponse(found=True, value=b"" if request.exists_only else value)

    async def DictLen(self, request, context):
        async with refusals_as_status(context):
            store = self.d.writes if request.clear else self.d.reads
            return pb.DictLenResponse(len=await store.run(dicts.length, request.dict_id, request.clear))

    async def DirectPortGet(self, request, context):
        """Where the SDK makes its Dict calls without gRPC's framing (server/api/direct.py)."""
        return self.direct_address()

    def direct_address(self) -> pb.DirectPortGetResponse:
        direct = self.direct
        return pb.DirectPortGetResponse(port=direct.port, local_socket=direct.local_socket) if direct else \
            pb.DirectPortGetResponse()

    async def DictContents(self, request, context):
        async with refusals_as_status(context):
            after = request.after_key if request.has_after else None
            rows = await self.d.reads.run(dicts.page, request.dict_id, after, request.limit)
            self.d.expiry.touched(request.dict_id, [k for k, _ in rows])
            return pb.DictContentsResponse(entries=[pb.DictEntry(key=k, value=v) for k, v in rows])
