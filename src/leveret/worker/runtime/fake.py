"""A recording fake runtime for unit tests: no processes, every call recorded.

A fake container "runs" until it is killed, or until the test calls ``exit(container_id, code)``;
tests write to its stdout / stderr with ``feed``. ``feed`` and ``exit`` may be called from any
thread: they run on the loop that started the container. With a ``ScriptedBootstrap`` a fake
container also talks to its worker as the real bootstrap does, and ends where its script says: a
crash at any moment, with no process to slow the test down.
"""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
import signal
import time
from typing import Callable

from ...container import bootstrap as bs

from .base import ContainerHandle, ContainerRuntime, ContainerSpec, ContainerStats, RuntimeStartError


@dataclasses.dataclass
class Call:
    verb: str
    container_id: str
    detail: object = None


class FakeHandle(ContainerHandle):
    def __init__(self, runtime: "FakeRuntime", spec: ContainerSpec):
        self.container_id = spec.container_id
        self.spec = spec
        self._runtime = runtime
        self.stdout = asyncio.StreamReader()
        self.stderr = asyncio.StreamReader()
        self.loop = asyncio.get_running_loop()
        self._exit: asyncio.Future[int] = self.loop.create_future()

    def finish(self, code: int) -> None:
        if not self._exit.done():
            self.stdout.feed_eof()
            self.stderr.feed_eof()
            self._exit.set_result(code)

    async def wait(self) -> int:
        return await asyncio.shield(self._exit)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        self._runtime.calls.append(Call("kill", self.container_id, sig))
        self.finish(-sig)


class FakeRuntime(ContainerRuntime):
    name = "fake"
    isolated = False

    def __init__(self, fail_start: str | None = None, script: "ScriptedBootstrap | None" = None):
        self.script = script
        self.calls: list[Call] = []
        self.handles: dict[str, FakeHandle] = {}
        self.fail_start = fail_start
        self.usage: dict[str, ContainerStats] = {}   # what stats() says, by container id (tests set it)

    async def start(self, spec: ContainerSpec) -> ContainerHandle:
        self.calls.append(Call("start", spec.container_id, spec))
        if self.fail_start:
            raise RuntimeStartError(self.fail_start)
        handle = FakeHandle(self, spec)
        self.handles[spec.container_id] = handle
        if self.script is not None:
            handle.process = asyncio.get_running_loop().create_task(self.script.run(handle))
        return handle

    async def remove(self, handle: ContainerHandle) -> None:
        self.calls.append(Call("remove", handle.container_id))
        handle.kill(signal.SIGKILL)

    def stats(self, handle: ContainerHandle) -> ContainerStats | None:
        return self.usage.get(handle.container_id)

    def feed(self, container_id: str, data: bytes, fd: int = 1) -> None:
        h = self.handles[container_id]
        h.loop.call_soon_threadsafe((h.stdout if fd == 1 else h.stderr).feed_data, data)

    def exit(self, container_id: str, code: int) -> None:
        h = self.handles[container_id]
        h.loop.call_soon_threadsafe(h.finish, code)

    def verbs(self) -> list[str]:
        return [c.verb for c in self.calls]


@dataclasses.dataclass(frozen=True)
class End:
    """What a scripted input returns to end its container there: the outputs of the inputs before
    it go out, its socket closes, and ``linger`` seconds later (what the worker writes meanwhile
    meets a closed socket) it ends with ``code`` (negative: a signal); ``oom``: as the memory
    limit's kill."""

    code: int = -signal.SIGSEGV
    linger: float = 0.0
    oom: bool = False


HANG = object()   # a scripted input that never returns (until its container is killed)


class ScriptedBootstrap:
    """Runs in a fake container instead of the real bootstrap: connects to the worker's socket,
    says hello, and answers each input with ``behave(*args, **kwargs)`` — a value (its result),
    an ``End`` (the container ends there), or ``HANG``. Inputs run
    one at a time and keep the running marker as the real bootstrap does."""

    def __init__(self, behave: Callable):
        self.behave = behave

    async def run(self, handle: FakeHandle) -> None:
        socket_path = handle.spec.env[bs.ENV_SOCKET]
        marker = bs.RunningMarker(socket_path.rsplit("/", 1)[0] + "/" + bs.RUNNING_FILE)
        try:
            reader, writer = await asyncio.open_unix_connection(socket_path)
        except OSError:
            handle.finish(1)
            return
        now = time.time()
        writer.write(bs.encode_frame(("hello", {"started_at": now, "import_started_at": now, "ready_at": now})))
        try:
            while not handle._exit.done():
                (n,) = bs._HEADER.unpack(await reader.readexactly(bs._HEADER.size))
                msg = pickle.loads(await reader.readexactly(n))
                if msg[0] == "stop":
                    break
                if msg[0] != "inputs":
                    continue
                outputs = []
                for input_id, attempt, blob in msg[1]:
                    marker.set(input_id)
                    args, kwargs = pickle.loads(blob)
                    result = self.behave(*args, **kwargs)
                    if result is HANG:   # what it finished goes out first (the real one flushes every 10 ms)
                        writer.write(bs.encode_frame(("outputs", outputs, 0.001)))
                        await handle.wait()
                        break
                    if isinstance(result, End):   # what it finished went out (flushed), then it dies
                        writer.write(bs.encode_frame(("outputs", outputs, 0.001)))
                        writer.close()
                        await asyncio.sleep(result.linger)
                        handle.oom_killed = result.oom
                        handle.finish(result.code)
                        break
                    marker.clear()
                    outputs.append((input_id, attempt, bs.STATUS_SUCCESS, pickle.dumps(result), 0, ""))
                else:
                    writer.write(bs.encode_frame(("outputs", outputs, 0.001)))
                    continue
                break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()
        handle.finish(0)
