"""A scripted bootstrap for the fake runtime: a fake container that talks to its worker over the
real socket protocol (leveret/container/protocol.py) and ends where its script says (a crash at
any moment, a closed socket while inputs keep coming, an out-of-memory kill, an input that never
returns, a frame the worker cannot read), with no process.

    runtime = FakeRuntime(script=ScriptedBootstrap(lambda x: End() if x == 3 else x * 2))
"""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
import signal
import time
from typing import Callable

from ..container import protocol as P


@dataclasses.dataclass(frozen=True)
class End:
    """What a scripted input returns to end its container there: the outputs of the inputs before
    it go out, its socket closes, and ``linger`` seconds later (what the worker writes meanwhile
    meets a closed socket) it ends with ``code`` (negative: a signal); ``oom``: as the memory
    limit's kill."""

    code: int = -signal.SIGSEGV
    linger: float = 0.0
    oom: bool = False


@dataclasses.dataclass(frozen=True)
class Raw:
    """What a scripted input returns to have its container write ``data`` to its socket as it is
    (a frame the worker cannot read, say) after the outputs before it, then wait to be ended."""

    data: bytes


HANG = object()   # a scripted input that never returns (until its container is killed)


class ScriptedBootstrap:
    """Runs in a fake container instead of the real bootstrap: connects to the worker's socket,
    says hello (in protocol ``version``), and answers each input with ``behave(*args, **kwargs)`` —
    a value (its result), an ``End`` (the container ends there), a ``Raw`` or ``HANG``. Inputs run
    one at a time and keep the running marker as the real bootstrap does."""

    def __init__(self, behave: Callable, version: int = P.VERSION):
        self.behave = behave
        self.version = version

    async def run(self, handle) -> None:
        socket_path = handle.spec.env[P.ENV_SOCKET]
        marker = P.RunningMarker(socket_path.rsplit("/", 1)[0] + "/" + P.RUNNING_FILE)
        try:
            reader, writer = await asyncio.open_unix_connection(socket_path)
        except OSError:
            handle.finish(1)
            return
        now = time.time()
        writer.write(P.encode(P.Hello(started_at=now, import_started_at=now, ready_at=now, version=self.version)))
        try:
            while not handle._exit.done():
                msg = await P.read_message(reader)
                if isinstance(msg, P.Stop):
                    break
                if not isinstance(msg, P.Inputs):
                    continue
                outputs = []
                for input_id, attempt, blob, _ in msg.rows():
                    marker.set(input_id)
                    args, kwargs = pickle.loads(blob)
                    result = self.behave(*args, **kwargs)
                    if result is HANG or isinstance(result, Raw):   # what it finished goes out first (the real
                        writer.write(P.encode(P.Outputs.of(outputs, 0.001)))   # one flushes every 10 ms)
                        if isinstance(result, Raw):
                            writer.write(result.data)
                        await handle.wait()
                        break
                    if isinstance(result, End):   # what it finished went out (flushed), then it dies
                        writer.write(P.encode(P.Outputs.of(outputs, 0.001)))
                        writer.close()
                        await asyncio.sleep(result.linger)
                        handle.oom_killed = result.oom
                        handle.finish(result.code)
                        break
                    marker.clear()
                    outputs.append((input_id, attempt, P.STATUS_SUCCESS, pickle.dumps(result), 0, ""))
                else:
                    writer.write(P.encode(P.Outputs.of(outputs, 0.001)))
                    continue
                break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()
        handle.finish(0)
