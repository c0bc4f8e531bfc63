"""ContainerList, ContainerStop, ContainerExec: the wire side of running containers."""

from __future__ import annotations

import asyncio

import grpc

from ..._wire import api_pb2 as pb
from .. import views
from .functions import container_info
from ..errors import NotFound
from ..._shared.containers import EXEC_ACK_EVERY as ACK_EVERY
from ..model import ExecInput, StartExec
from .convert import exec_response


class ContainersApi:
    """Mixed into the servicer: needs ``self.d`` (the Dispatcher)."""

    async def ContainerList(self, request, context):
        try:
            found = views.containers(self.d, request.app_name_or_id, self.d.clock.time())
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        return pb.ContainerListResponse(containers=[container_info(c) for c in found])

    async def ContainerStop(self, request, context):
        try:
            return pb.ContainerStopResponse(requeued_inputs=self.d.placement.stop_by_user(request.container_id))
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)

    async def ContainerExec(self, request_iterator, context):
        """The first message starts the command; later ones are its stdin and window sizes."""
        request = await anext(aiter(request_iterator), None)
        if request is None or not request.argv:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "no command: leveret container exec CT -- CMD [ARGS]")
        start = StartExec("", request.container_id, list(request.argv), request.interactive, request.tty,
                          dict(request.env), request.rows, request.cols)
        try:
            exec_id, q = self.d.execs.start(self.d.containers.get(request.container_id), start)
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)

        async def feed() -> None:
            async for more in request_iterator:
                self.d.execs.feed(ExecInput(exec_id, more.stdin, more.stdin_eof, more.rows, more.cols))

        feeding = asyncio.ensure_future(feed())
        taken = 0   # output handed to the client's stream (which holds back while the client does not read)
        try:
            while True:
                out = await q.get()
                yield exec_response(out)
                if out.done:
                    return
                taken += len(out.data)
                if taken >= ACK_EVERY:   # the worker may read that much more of the command's output
                    self.d.execs.feed(ExecInput(exec_id, ack=taken))
                    taken = 0
        finally:
            feeding.cancel()
            self.d.execs.end(exec_id)
