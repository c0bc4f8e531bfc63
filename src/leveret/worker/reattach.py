"""Containers that outlive their worker, and the worker that takes them over (Nomad's client state).

    READY ─▶ record: attach/<container id> in the workdir (the worker's only: it holds the
             container's token and secrets) — its assignment and what the runtime needs to adopt
             it (runtime/oci_adopt.py); a function's container without volumes, buckets or GPUs,
             on a runtime that can (crun, runc)
    the worker is SIGKILLed ─▶ its containers run on: a bootstrap whose socket ends without a
             Stop connects to it again for REJOIN_S (container/channel.py); what they print
             waits in their pipes
    a worker starts on the workdir ─▶ restore, before it registers: each recorded container still
             running ─▶ a ContainerTask on the handle the runtime adopts, listening on the same
             socket ─▶ the bootstrap says Rejoin, with the inputs it holds ─▶ those are timed again
             and reported when the worker registers (Reported.inputs): the server keeps their
             attempts (server/reconcile.py), and runs again those the container no longer holds
             (their results were lost with the killed worker)
             ─▶ no Rejoin within REJOIN_WAIT_S: it is killed, its end told as any other's
    the rest of what the killed worker left ─▶ removed (runtime.remove_leftovers keeps the adopted)

The worker's id is kept in the workdir too: the restarted worker registers under it, which is how
the server knows the containers it reports are those it kept waiting (in doubt) since the stream
broke.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import signal
from typing import TYPE_CHECKING

from .container_log import STDERR, STDOUT

if TYPE_CHECKING:
    from .agent import Agent
    from .task_runner import ContainerTask

REJOIN_S = 120.0       # how long a container whose worker went away tries to reach the next one
REJOIN_WAIT_S = 10.0   # how long a restarted worker waits for a container it adopted to connect again
RECORDS = "attach"     # in the workdir: a record per container a restarted worker may take over
WORKER_ID = "worker-id"

log = logging.getLogger("leveret.worker")


def _path(workdir: str, container_id: str) -> str:
    return os.path.join(workdir, RECORDS, container_id)


def record(task: "ContainerTask") -> None:
    """Once the container is READY: what a worker restarted here needs to take it over."""
    a = task.a
    if a is None or a.sandbox is not None or task.handle is None or task.gpus \
            or a.definition.volume_mounts or a.definition.bucket_mounts:
        return
    state = task.agent.runtime.adopt_record(task.handle)
    if state is None:
        return
    path = _path(task.agent.workdir, task.container_id)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path + ".new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        pickle.dump({"assignment": a, "runtime": state, "dir": task.dir, "socket_dir": task.socket_dir}, f)
    os.replace(path + ".new", path)


def forget(task: "ContainerTask") -> None:
    """The container ended: nothing to take over."""
    try:
        os.unlink(_path(task.agent.workdir, task.container_id))
    except FileNotFoundError:
        pass


async def restore(agent: "Agent") -> list:
    """Take over the containers a killed worker here left running, and wait (REJOIN_WAIT_S at most)
    for them to connect again; the tasks taken over."""
    from .task_runner import ContainerTask

    root = os.path.join(agent.workdir, RECORDS)
    if not agent.runtime.reattaches or not os.path.isdir(root):
        return []
    tasks = []
    for container_id in sorted(os.listdir(root)):
        path = os.path.join(root, container_id)
        handle, saved = None, None
        try:
            with open(path, "rb") as f:
                saved = pickle.load(f)
            handle = await agent.runtime.adopt(saved["runtime"])
        except Exception as exc:   # a record of another version, a network it cannot serve again
            log.warning("container %s: could not take it over (it is removed): %s", container_id, exc)
        if handle is None:
            os.unlink(path)
            continue
        task = ContainerTask(agent, saved["assignment"])
        task.adopted = handle   # (a warm container's directories, and the runtime's id, are those it started with)
        task.dir, task.socket_dir = saved["dir"], saved["socket_dir"]
        task.socket_path = os.path.join(task.socket_dir, "sock")
        agent.tasks[container_id] = task
        task.start()
        tasks.append(task)
    if tasks:
        waits = [asyncio.ensure_future(t.connected.wait()) for t in tasks]
        await asyncio.wait(waits, timeout=REJOIN_WAIT_S)
        for w in waits:
            w.cancel()
        log.info("took over %d container(s) left running by an earlier worker here: %s", len(tasks),
                 ", ".join(f"{t.container_id} ({len(t.held)} input(s))" for t in tasks if t.connected.is_set())
                 or "none connected")
    return tasks


async def run(task: "ContainerTask", helpers: list) -> tuple[int, str, list]:
    """Serve a container taken over until it ends: (exit code, message, its pipes' readers)."""
    handle = task.handle = task.adopted
    try:   # the killed worker's listener left its socket's file
        os.unlink(task.socket_path)
    except FileNotFoundError:
        pass
    task._server = await asyncio.start_unix_server(task._on_connect, path=task.socket_path)
    pipes = [asyncio.ensure_future(task.logs.read_pipe(handle.stdout, STDOUT)),
             asyncio.ensure_future(task.logs.read_pipe(handle.stderr, STDERR))]
    waiter = asyncio.ensure_future(handle.wait())
    connected = asyncio.ensure_future(task.connected.wait())
    helpers += [*pipes, waiter, connected]
    done, _ = await asyncio.wait({waiter, connected}, timeout=REJOIN_WAIT_S, return_when=asyncio.FIRST_COMPLETED)
    if connected not in done and waiter not in done:
        handle.kill(signal.SIGKILL)
        task.failure = task.failure or (f"its worker restarted and the container did not connect to the new one"
                                        f" within {REJOIN_WAIT_S:g} s")
    code = await waiter
    message = task.failure
    if not message and task.stop_requested is None:
        message = "container ended after its worker restarted and took it over (its exit status is unknown)"
    return code, message, pipes


def rejoined(task: "ContainerTask", msg) -> None:
    """Its bootstrap is connected again (Rejoin): the inputs it holds are timed from now."""
    task.held = {input_id: int(attempt) for input_id, attempt in msg.held.items()}
    if task.timer is not None and task.held:
        task.timer.sent(list(task.held.items()))


def saved_worker_id(workdir: str) -> str:
    try:
        with open(os.path.join(workdir, WORKER_ID)) as f:
            return f.read().strip()
    except OSError:
        return ""


def save_worker_id(workdir: str, worker_id: str) -> None:
    with open(os.path.join(workdir, WORKER_ID), "w") as f:
        f.write(worker_id)


def socket_dirs(workdir: str) -> list[str]:
    """The names of the socket directories of the containers recorded here (kept for restore)."""
    root, names = os.path.join(workdir, RECORDS), []
    for name in os.listdir(root) if os.path.isdir(root) else ():
        try:
            with open(os.path.join(root, name), "rb") as f:
                names.append(os.path.basename(pickle.load(f)["socket_dir"]))
        except Exception:   # (restore says why it cannot take that one over)
            continue
    return names
