"""The running marker: the input a one-at-a-time container is running, in a file beside its
socket that both sides map (``running``: a length byte, 0 when no input runs, then the input id).
The worker reads it when the container dies (a crash, an out-of-memory kill), so the input to blame
is known even when it had no time to say anything. Standard library only: the bootstrap imports it.
"""

from __future__ import annotations

import os

RUNNING_FILE = "running"   # beside the socket
MARKER_SIZE = 256


class RunningMarker:
    """The bootstrap's side: setting the input is a memory write, no syscall."""

    def __init__(self, path: str | None):
        self.map = None
        if path is None:
            return
        try:
            import mmap

            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                os.ftruncate(fd, MARKER_SIZE)
                self.map = mmap.mmap(fd, MARKER_SIZE)
            finally:
                os.close(fd)
        except (OSError, ValueError, ImportError):
            pass   # the worker then knows less: it blames nothing it cannot name

    def set(self, input_id: str) -> None:
        if self.map is not None:
            data = input_id.encode()[:MARKER_SIZE - 1]
            self.map[1:1 + len(data)] = data
            self.map[0] = len(data)   # last: the id is whole once its length says so

    def clear(self) -> None:
        if self.map is not None:
            self.map[0] = 0


def read_running(directory: str) -> str | None:
    """The input a dead container was running (the worker's side of RunningMarker): its id, "" if
    it ran none, None if the container kept no marker."""
    try:
        with open(os.path.join(directory, RUNNING_FILE), "rb") as f:
            data = f.read(MARKER_SIZE)
    except OSError:
        return None
    if not data:
        return None
    return data[1:1 + data[0]].decode(errors="replace")
