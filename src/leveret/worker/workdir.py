"""What a worker owns on disk: its workdir, held by one worker at a time.

    leveret worker --workdir W ─▶ lock W/worker.lock (held for the worker's life; a second worker
                                  on W refuses before it touches anything)
"""

from __future__ import annotations

import fcntl
import os

LOCK_FILE = "worker.lock"


class WorkdirError(Exception):
    """The workdir cannot be used by this worker; the message names the fix."""


def lock_workdir(workdir: str):
    """Hold ``workdir`` for this process (the returned file keeps the lock until it closes or the
    process ends, however it ends); WorkdirError if another worker holds it."""
    try:
        os.makedirs(workdir, exist_ok=True)
        fd = os.open(os.path.join(workdir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)   # not truncated: its pid
    except OSError as exc:
        raise WorkdirError(f"cannot write to the worker's workdir {workdir} ({exc.strerror or exc}):"
                           " give it a writable directory with --workdir") from None
    lock = os.fdopen(fd, "r+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = lock.read().strip() or "unknown"
        lock.close()
        raise WorkdirError(f"another worker (pid {holder}) is running on the workdir {workdir}: stop it, or"
                           " start this one with another --workdir") from None
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock
