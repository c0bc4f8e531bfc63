"""What a worker owns on disk: its workdir, held by one worker at a time, and the directory of its
containers' unix sockets, found again by the next worker on that workdir.

    leveret worker --workdir W ─▶ lock W/worker.lock (held for the worker's life; a second worker
                                  on W refuses before it touches anything, or with
                                  --wait-for-workdir waits for the first to exit)
                               ─▶ <temp>/lv-<hash of W>: emptied at start (what a killed worker left),
                                  one directory per container holding its socket, removed at exit
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import stat
import tempfile
import time

LOCK_FILE = "worker.lock"
LOCK_POLL_S = 0.05   # how often a worker told to wait for the workdir tries its lock again


class WorkdirError(Exception):
    """The workdir cannot be used by this worker; the message names the fix."""


def lock_workdir(workdir: str, *, wait_s: float = 0.0, on_wait=None):
    """Hold ``workdir`` for this process (the returned file keeps the lock until it closes or the
    process ends, however it ends); WorkdirError if another worker holds it, at once or (``wait_s``)
    after waiting that long for it to let go. ``on_wait(pid)`` is told once when it starts waiting."""
    try:
        os.makedirs(workdir, exist_ok=True)
        fd = os.open(os.path.join(workdir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)   # not truncated: its pid
    except OSError as exc:
        raise WorkdirError(f"cannot write to the worker's workdir {workdir} ({exc.strerror or exc}):"
                           " give it a writable directory with --workdir") from None
    lock = os.fdopen(fd, "r+")
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
        if time.monotonic() >= deadline:
            lock.close()
            waited = f" after waiting {wait_s:g} s for it to exit" if wait_s else ""
            raise WorkdirError(f"another worker (pid {holder}) is running on the workdir {workdir}{waited}: stop it,"
                               " or start this one with another --workdir") from None
        if on_wait is not None:
            on_wait(holder)
            on_wait = None
        time.sleep(LOCK_POLL_S)
    lock.seek(0)
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def socket_dir_for(workdir: str) -> str:
    """Where a worker on ``workdir`` keeps its containers' sockets: short, as unix socket paths end
    at 108 bytes, and the same for every worker on that workdir, so the next one finds what a
    killed one left."""
    key = hashlib.sha256(os.path.realpath(workdir).encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"lv-{key}")


def fresh_socket_dir(path: str, keep=()) -> None:
    """Make ``path`` a directory of this user's only, removing what an earlier worker left there but
    the entries in ``keep`` (the socket directories of containers taken over: reattach.py)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        os.mkdir(path, 0o700)
        return
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():   # not ours: never follow or remove it
        raise WorkdirError(f"{path}, where this worker keeps its containers' sockets, is not a directory of"
                           " this user: remove it, or start the worker with another --workdir")
    if not keep:
        shutil.rmtree(path)
        os.mkdir(path, 0o700)
        return
    for name in set(os.listdir(path)) - set(keep):
        entry = os.path.join(path, name)
        shutil.rmtree(entry) if os.path.isdir(entry) and not os.path.islink(entry) else os.unlink(entry)
