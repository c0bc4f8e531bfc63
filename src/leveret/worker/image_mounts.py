"""A sandbox's mount_image / unmount_image on its worker: the image's layers built (or found, a
directory snapshot's fetched from its blob) and mounted read-only in the running container by the
runtime (runtime/mount_into.py); the server hears MountDone either way."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from . import model as m
from .runtime import RuntimeStartError

if TYPE_CHECKING:
    from .agent import Agent
    from .task_runner import ContainerTask

log = logging.getLogger("leveret.worker")


async def mount(agent: "Agent", task: "ContainerTask | None", cmd: m.MountImage) -> None:
    try:
        if task is None or task.handle is None:
            raise RuntimeStartError("the container is not running on this worker")
        if cmd.unmount:
            await agent.runtime.unmount_image(task.handle, cmd.path)
        else:
            image = await agent.image(cmd.image, task.logs.build_log)
            await agent.runtime.mount_image(task.handle, tuple(image.lowers), cmd.path)
        agent.report(m.MountDone(cmd.request_id))
    except Exception as exc:   # the mount fails, never the worker
        if not isinstance(exc, (RuntimeStartError, OSError)):
            log.exception("mount %s failed", cmd.request_id)
        said = str(exc) if isinstance(exc, RuntimeStartError) else f"{type(exc).__name__}: {exc}"
        agent.report(m.MountDone(cmd.request_id, error=said))
