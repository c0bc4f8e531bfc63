"""ContainerList, ContainerStop, ContainerExec: the wire side of running containers."""

from __future__ import annotations

import grpc

from ..._wire import api_pb2 as pb
from .. import views
from .functions import container_info
from ..errors import NotFound
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

    async def ContainerExec(self, request, context):
        if not request.argv:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "no command: leveret container exec CT -- CMD [ARGS]")
        try:
            exec_id, q = self.d.execs.start(self.d.containers.get(request.container_id), request.container_id,
                                            list(request.argv))
        except NotFound as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, exc.message)
        try:
            while True:
                out = await q.get()
                yield exec_response(out)
                if out.done:
                    return
        finally:
            self.d.execs.end(exec_id)
