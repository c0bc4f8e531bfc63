"""Snapshots of a sandbox's filesystem (snapshot_filesystem): its writable layer over its image,
the overlay's upper directory, as one layer any worker can add to that image; and of one of its
directories (snapshot_directory): all its files as the sandbox sees them, read in the sandbox by
busybox tar, as an image of that layer alone, which image_mounts.py mounts in sandboxes.

    Snapshot(container, id) ─▶ pause its processes (the freezer) ─▶ tar the upper directory (GNU tar:
        owners, modes, overlay whiteouts and opaque-directory xattrs kept; the runtime's own mount
        points left out) ─▶ resume ─▶ the tar as a blob on the server ─▶ SnapshotDone(blob, sha256)
    a worker building an image with a {"op": "snapshot", "blob", "sha256"} step ─▶ images/builder.py
        fetches the blob, checks its sha256 and unpacks it as that step's layer (tar_args below)

Only the diff over the base is stored, as the image's other layers are: a layer of the image store.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from typing import TYPE_CHECKING

from . import model as m
from .runtime import RuntimeStartError
from .runtime.spawn import spawn

if TYPE_CHECKING:
    from .agent import Agent
    from .task_runner import ContainerTask

log = logging.getLogger("leveret.worker")

CHUNK = 1024 * 1024
# The overlay's own attributes (an opaque directory, a redirect) travel with the files they mark.
XATTRS = ["--xattrs", "--xattrs-include=trusted.overlay.*", "--numeric-owner"]
LEFT_OUT = ["--exclude=./opt/leveret"]   # where the runtime mounts the init and busybox: not the sandbox's


async def take(agent: "Agent", task: "ContainerTask | None", snapshot_id: str, directory: str = "") -> None:
    """Snapshot ``task``'s container (with ``directory``: that directory's files alone); the server
    hears SnapshotDone either way."""
    try:
        if task is None or task.handle is None:
            raise RuntimeStartError("the container is not running on this worker")
        blob_id, digest, size = await _store(agent, task, directory)
        agent.report(m.SnapshotDone(snapshot_id, blob_id, digest, size))
    except Exception as exc:   # the snapshot fails, never the worker
        if not isinstance(exc, (RuntimeStartError, OSError)):
            log.exception("snapshot %s failed", snapshot_id)
        agent.report(m.SnapshotDone(snapshot_id, error=f"{type(exc).__name__}: {exc}" if not isinstance(
            exc, RuntimeStartError) else str(exc)))


async def _store(agent: "Agent", task: "ContainerTask", directory: str) -> tuple[str, str, int]:
    runtime, handle = agent.runtime, task.handle
    kept = os.path.join(agent.workdir, "snapshots")
    os.makedirs(kept, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix="snap-", suffix=".tar", dir=kept)
    os.close(fd)
    try:
        if directory:
            await _tar_inside(runtime, handle, directory, path)
        else:
            await _tar_upper(runtime, handle, path)
        sha = hashlib.sha256()
        upload = agent.server.upload()
        size = 0
        try:
            with open(path, "rb") as f:
                while chunk := f.read(CHUNK):
                    sha.update(chunk)
                    size += len(chunk)
                    await upload.write(chunk)
            blob_id = await upload.finish()
        except BaseException:
            upload.cancel()
            raise
        return blob_id, sha.hexdigest(), size
    finally:
        os.unlink(path)


async def _tar_upper(runtime, handle, path: str) -> None:
    """Its writes over its image (the overlay's upper directory), its processes paused meanwhile."""
    upper = runtime.upper_dir(handle)
    await runtime.pause(handle, True)   # its files hold still while they are read
    try:
        proc = await spawn("tar", *XATTRS, *LEFT_OUT, "-C", upper, "-cf", path, ".",
                           stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        _, err = await proc.communicate()
    finally:
        await runtime.pause(handle, False)
    if proc.returncode:
        raise RuntimeStartError(f"could not read the sandbox's files: {err.decode(errors='replace').strip()}")


async def _tar_inside(runtime, handle, directory: str, path: str) -> None:
    """A directory's files as the container sees them (its owners, its symlinks: read by busybox tar
    run in it, so nothing of the host's is reached through them), into ``path``."""
    running = await runtime.exec(handle, runtime.tool_command(["tar", "-C", directory, "-cf", "-", "."]))
    with open(path, "wb") as out:
        while chunk := await running.proc.stdout.read(CHUNK):
            out.write(chunk)
    err = await running.proc.stderr.read()
    if await running.proc.wait():
        said = err.decode(errors="replace").strip()
        raise RuntimeStartError(f"could not read {directory} in the sandbox: {said or 'tar failed'}")


def tar_args(archive: str, target: str) -> list[str]:
    """The command that unpacks a snapshot's tar into a layer's directory."""
    return ["tar", *XATTRS, "-xpf", archive, "-C", target]
