"""FunctionCalls, CallShow, InputReplay, AppDescribe: what a function's inputs did, for a
post-mortem, read from the store (store/history.py) for running and stopped apps alike."""

from __future__ import annotations

import dataclasses

import grpc

from ..._shared.status import NAMES
from ..._wire import api_pb2 as pb
from .. import views
from ..errors import NotFound
from ..store import Store
from .convert import definition

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000


def _limit(n: int) -> int:
    return min(n or DEFAULT_LIMIT, MAX_LIMIT)


class HistoryApi:
    """Mixed into the servicer (service.py)."""

    def _summary(self, row) -> pb.InputSummary:
        v = views.input_view(self.d, row)
        fields = dataclasses.asdict(v)
        fields["earlier"] = [pb.InputSummary(**e) for e in fields["earlier"]]
        return pb.InputSummary(**fields)

    async def _function_id(self, app_name_or_id: str, function_name: str) -> tuple[str, str]:
        """(function_id, app_id) of a running app's function, else a stopped one's, from the store."""
        app = self.d.find_live_app(app_name_or_id)
        fn = app.function(function_name) if app is not None else None
        if fn is not None:
            return fn.function_id, app.app_id
        stored, function_id, _ = await views.stored_function(self.d, app_name_or_id, function_name)
        return function_id, stored["id"]

    async def FunctionCalls(self, request, context):
        try:
            function_id, app_id = await self._function_id(request.app_name_or_id, request.function_name)
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        rows = await self.reads.run(Store.function_inputs, function_id, failed=request.failed,
                                    limit=_limit(request.limit))
        return pb.FunctionCallsResponse(function_id=function_id, app_id=app_id,
                                        inputs=[self._summary(r) for r in rows])

    async def CallShow(self, request, context):
        found = await self.reads.run(Store.call_details, request.call_id, _limit(request.limit))
        if found is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no call {request.call_id}: it never was, or it is past the"
                                " server's call retention (`leveret function calls APP FUNCTION` lists the kept ones)")
        return pb.CallShowResponse(
            call_id=request.call_id, kind=found["kind"], function_id=found["function_id"],
            function_name=found["function_name"], app_id=found["app_id"], app_name=found["app_name"],
            created_at=found["created_at"], inputs_total=found["inputs_total"], parent_input_id=found["parent_input"],
            by_status={NAMES.get(s, str(s)): n for s, n in found["by_status"].items()},
            inputs=[self._summary(r) for r in found["inputs"]])

    async def InputReplay(self, request, context):
        found = await self.reads.run(Store.replay_input, request.input_id)
        if found is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no input or call {request.input_id}: `leveret function calls"
                                " APP FUNCTION` lists the inputs the server keeps")
        input_id, function_id, args, args_blob = found
        stored = await self.reads.run(Store.get_function, function_id)
        if stored is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"the function of input {input_id} is no longer stored")
        app_id, _, encoded = stored
        app = await self.reads.run(Store.get_app, app_id)
        return pb.InputReplayResponse(input_id=input_id, app_id=app_id, app_name=app["name"] if app else "",
                                      definition=definition(self.d.read_spec(encoded)), args=args,
                                      args_blob_id=args_blob)

    async def AppDescribe(self, request, context):
        try:
            info = await views.app_info(self.d, request.app_name_or_id)
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        functions = []
        for name in await views.function_names(self.d, info["id"]):
            stats = await views.function_stats(self.d, info["id"], name)
            functions.append(pb.FunctionSummary(name=name, stats=pb.FunctionStatsResponse(**dataclasses.asdict(stats))))
        return pb.AppDescribeResponse(app=await self._app_info(info), functions=functions)
