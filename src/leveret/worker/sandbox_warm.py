"""Warm sandboxes: containers started ahead for the sandboxes to come, so a create skips the cold start.

    a sandbox assigned here ─▶ keep(its definition): WARM of its kind (image, cpu, memory, disk,
        network) started (at once when none is left, else a while later: not while it starts),
        each a container whose command is a shell waiting on its stdin (sandbox_runner.SHIM);
        those of another kind stop
    a sandbox assigned here that fits one (no volumes, buckets or GPUs, no terminal; its
        environment's names are the shell's) ─▶ take: the warm container becomes the sandbox's (``ContainerTask.assign``:
        it goes by the server's container id), its egress allowlist is applied, and one line on its
        stdin runs the command (cd to its workdir, export its environment, exec)

The server never hears of a warm sandbox until one is taken, as with warm function containers;
with no command the line runs the runtime's sleep, as a cold sandbox does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING

from . import model as m

if TYPE_CHECKING:
    from .agent import Agent
    from .task_runner import ContainerTask

REFILL_AFTER_S = 0.2   # a taken one is replaced this long after (at once when none of its kind is left)
RETRY_S = 5.0          # one that ended without a sandbox is replaced this long after

log = logging.getLogger("leveret.worker")


def kind(d: m.Definition) -> tuple | None:
    """What a warm sandbox is made for (None: a sandbox of this definition always starts cold)."""
    if d.volume_mounts or d.bucket_mounts or d.gpu_count:
        return None
    return (d.image, d.cpu, d.memory_mb, d.ephemeral_disk_mb, d.block_network)


def fits(d: m.Definition, sandbox: m.SandboxStart) -> bool:
    return kind(d) is not None and not sandbox.pty and not sandbox.outbound and all(k.isidentifier() for k in [*d.secret_env, *sandbox.env])


class WarmSandboxes:
    def __init__(self, agent: "Agent", count: int):
        self.agent = agent
        self.count = count
        self.tasks: list["ContainerTask"] = []
        self._definition: m.Definition | None = None
        self._refill: asyncio.TimerHandle | None = None

    def take(self, assignment: m.Assignment) -> "ContainerTask | None":
        """A warm sandbox for this assignment, now its (None: none fits)."""
        if not fits(assignment.definition, assignment.sandbox):
            return None
        want = kind(assignment.definition)
        for task in self.tasks:
            if kind(task.warm_sandbox) == want and task.stop_requested is None and task.task is not None \
                    and not task.task.done():
                self.tasks.remove(task)
                task.assign(assignment)
                return task
        return None

    def keep(self, definition: m.Definition) -> None:
        """Sandboxes of this definition's kind are the ones to keep warm (none of another kind)."""
        want = kind(definition)
        if not self.count or want is None or self.agent.stopping:
            return
        for task in [t for t in self.tasks if kind(t.warm_sandbox) != want]:
            self.tasks.remove(task)
            task.stop("warm sandboxes of another kind take its place")
        # what it needs of the definition to start: its image, limits and network, none of its secrets
        self._definition = dataclasses.replace(definition, secret_env={}, name="warm sandbox")
        if not any(kind(t.warm_sandbox) == want for t in self.tasks):
            self.fill()
        elif self._refill is None:
            self._refill = asyncio.get_running_loop().call_later(REFILL_AFTER_S, self.fill)

    def fill(self) -> None:
        from .task_runner import ContainerTask

        self._refill = None
        while self._definition is not None and len(self.tasks) < self.count and not self.agent.stopping:
            task = ContainerTask(self.agent, None, warm_sandbox=self._definition)
            self.tasks.append(task)
            task.start()

    def forget(self, task: "ContainerTask") -> None:
        """A warm sandbox ended without a sandbox (it failed to start, or was stopped)."""
        if task in self.tasks:
            self.tasks.remove(task)
            if task.stop_requested is None and not self.agent.stopping:
                log.warning("a warm sandbox ended before any sandbox took it: another in %g s", RETRY_S)
                asyncio.get_running_loop().call_later(RETRY_S, self.fill)
