"""How a container's end is told to the server: STOPPED, or FAILED and why.

A container the worker did not stop that exits non-zero failed, whatever it said; its message is
the reason the worker had (it could not start, it sent what cannot be read), else how it exited
(a code, a signal) and the last lines of its stderr; the memory limit's kill says so, and how to
ask for more.
"""

from __future__ import annotations

import signal

from .._shared.containers import ContainerState


def container_end(exit_code: int, message: str, failed: bool, *, stopping: bool, oom_killed: bool,
                  memory_mb: int, stderr_tail: list[str]) -> tuple[ContainerState, str]:
    """(state, message) of the end event of a container that exited with ``exit_code`` (negative:
    a signal). ``message``: why the worker ended it, if it did; ``failed``: whether it failed
    before it exited (it could not start); ``stopping``: the worker asked it to stop."""
    if oom_killed:
        message = (f"container ran out of memory: it is limited to memory={memory_mb} MiB;"
                   " ask for more with @app.function(memory=...)")
    if not message and exit_code != 0 and not stopping:
        message = describe_exit(exit_code)
        if stderr_tail:
            message += "; last lines of its stderr:\n" + "\n".join(stderr_tail)
    if exit_code != 0 and not stopping:
        failed = True
    return (ContainerState.FAILED if failed else ContainerState.STOPPED), message


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"container was killed by {name}"
    return f"container exited with code {code}"
