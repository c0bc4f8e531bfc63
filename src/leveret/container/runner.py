"""Running a function's inputs: one at a time (``Runner``), or all those sent at once for
``@concurrent`` (``ConcurrentRunner``: on threads, or as tasks on one event loop); each output,
its value pickled, is held a moment and sent in a batch with others. The function's own code
runs between ``cancels.enter`` and ``cancels.leave``: only there is a cancelled input's code
interrupted (cancel.py), and it then ends CANCELLED.
"""

from __future__ import annotations

import os
import threading
import time

from . import protocol as P
from .cancel import MESSAGE, Cancels, Running
from .channel import CURRENT_CALL, CURRENT_INPUT, SOLE_CALL, SOLE_INPUT, Channel, SocketWriter
from .serialization import PayloadTooLarge, PayloadWriter, failure, load_args

OUTPUT_FLUSH_INTERVAL_S = 0.005
OUTPUT_FLUSH_BYTES = 8 * 1024 * 1024   # held outputs are sent once they are this big, whatever the time


def _function_kind(fn) -> tuple[bool, bool]:
    """(is a generator function, is an async generator function), without importing inspect."""
    code = getattr(fn, "__code__", None)
    if code is None:
        import inspect

        return inspect.isgeneratorfunction(fn), inspect.isasyncgenfunction(fn)
    return bool(code.co_flags & 0x20), bool(code.co_flags & 0x200)   # CO_GENERATOR, CO_ASYNC_GENERATOR


class Runner:
    """Runs inputs one at a time, in the order they came; keeps the running marker."""

    def __init__(self, channel: Channel, fn, import_error: bytes | None, stdout: SocketWriter, stderr: SocketWriter, cloudpickle):
        self.channel = channel
        self.fn = fn
        self.import_error = import_error
        self.writers = (stdout, stderr)
        self.cp = cloudpickle
        self.pending: list[tuple] = []
        self.pending_bytes = 0
        self.busy_s = 0.0
        self.last_flush = time.monotonic()
        self.loop = None
        self._lock = threading.Lock()   # the flusher thread also flushes what is held
        self.marker = P.RunningMarker(None)   # main() gives a one-at-a-time runner the real one
        # what an input gets when there is no function to run (import_error holds the exception)
        self.failure = (P.STATUS_INTERNAL_FAILURE, "function could not be imported")
        self.calls: dict[str, str] = {}   # input id -> its call's id, until it runs
        self.cancels = Cancels()   # inputs cancelled by the worker's Cancel frames (cancel.py)

    def flush(self) -> None:
        """Send held log text, then held outputs (the worker times inputs from their arrival)."""
        with self._lock:
            for w in self.writers:
                w.flush()
            if self.pending:
                batch, self.pending, self.pending_bytes = self.pending, [], 0
                busy, self.busy_s = self.busy_s, 0.0
                self.channel.send(P.Outputs.of(batch, busy))
            self.last_flush = time.monotonic()

    def emit(self, out: tuple, *, urgent: bool) -> None:
        with self._lock:
            self.pending.append(out)
            self.pending_bytes += len(out[3] or b"")
            big = self.pending_bytes >= OUTPUT_FLUSH_BYTES
        if urgent or big or time.monotonic() - self.last_flush > OUTPUT_FLUSH_INTERVAL_S:
            self.flush()

    def _dump(self, value, input_id: str):
        """The pickled value, or None when it was over the inline limit and went to the worker as a blob."""
        writer = PayloadWriter(self.channel, input_id)
        try:
            self.cp.dump(value, writer)
        except PayloadTooLarge:
            writer.abort()
            raise
        except Exception as exc:
            writer.abort()
            raise TypeError(
                f"the function returned a value of type {type(value).__name__} that cannot be"
                f" pickled ({exc}); return plain data (dict, list, str, numbers) instead"
            ) from exc
        return writer.result()

    def _call(self, r: Running, fn, *args, **kwargs):
        """The function's code: a cancellation of its input interrupts it (and only it)."""
        self.cancels.enter(r)
        try:
            return fn(*args, **kwargs)
        finally:
            self.cancels.leave(r)

    def _run_async(self, r: Running, awaitable):
        """An awaitable on this runner's loop, as a task its input's cancellation cancels."""
        import asyncio  # only async functions pay for it

        if self.loop is None:
            self.loop = asyncio.new_event_loop()
        return self._run_task(r, self.loop, asyncio.ensure_future(awaitable, loop=self.loop))

    def _run_task(self, r: Running, loop, task):
        self.cancels.set_task(r, loop, task)
        try:
            return loop.run_until_complete(task)
        finally:
            self.cancels.set_task(r, None, None)

    one_at_a_time = True

    def run_one(self, input_id: str, attempt: int, args_blob: bytes, last_in_batch: bool) -> None:
        CURRENT_INPUT.set(input_id)
        call_id = self.calls.pop(input_id, "")
        CURRENT_CALL.set(call_id)
        if self.one_at_a_time:
            SOLE_INPUT[0], SOLE_CALL[0] = input_id, call_id
            self.marker.set(input_id)
        try:
            self._run_one(input_id, attempt, args_blob, last_in_batch)
        finally:
            if self.one_at_a_time:
                self.marker.clear()

    def _run_one(self, input_id: str, attempt: int, args_blob: bytes, last_in_batch: bool) -> None:
        if self.import_error is not None:
            self.cancels.drop((input_id,))
            self.emit((input_id, attempt, self.failure[0], self.import_error, 0, self.failure[1]), urgent=last_in_batch)
            return
        if self.cancels.is_cancelled(input_id):   # cancelled before its turn: it does not start
            self.cancels.drop((input_id,))
            self.emit(cancelled(input_id, attempt), urgent=last_in_batch)
            return
        started = time.perf_counter()
        r = self.cancels.start((input_id,))
        try:
            args, kwargs = load_args(args_blob)
            result = self._call(r, self.fn, *args, **kwargs)
            if _is_generator(result):   # a generator function's, or an @app.cls's generator method's
                n = self._run_generator(r, input_id, attempt, result)
                out = (input_id, attempt, P.STATUS_GENERATOR_DONE, b"", n, "")
            else:
                if hasattr(result, "__await__"):
                    result = self._run_async(r, result)
                out = (input_id, attempt, P.STATUS_SUCCESS, self._dump(result, input_id), 0, "")
        except Exception as exc:
            payload, message = failure(exc, self.cp)
            out = (input_id, attempt, P.STATUS_FAILURE, payload, 0, message)
        except BaseException as exc:
            if not self.cancels.cancelled_by(r, exc):
                raise
            out = cancelled(input_id, attempt, exc)
        finally:
            self.cancels.end(r)
        with self._lock:
            self.busy_s += time.perf_counter() - started
        self.emit(out, urgent=last_in_batch)

    def _run_generator(self, r: Running, input_id: str, attempt: int, gen) -> int:
        n = 0
        if hasattr(gen, "__anext__"):
            while True:
                try:
                    item = self._run_async(r, gen.__anext__())
                except StopAsyncIteration:
                    return n
                self.emit((input_id, attempt, P.STATUS_GENERATOR_ITEM, self._dump(item, input_id), n, ""), urgent=True)
                n += 1
        while True:
            try:
                item = self._call(r, next, gen)
            except StopIteration:
                return n
            except BaseException:
                gen.close()   # cancelled between two items: its code sees GeneratorExit at its yield
                raise
            self.emit((input_id, attempt, P.STATUS_GENERATOR_ITEM, self._dump(item, input_id), n, ""), urgent=True)
            n += 1


class ConcurrentRunner(Runner):
    """``@concurrent(max_inputs=N)``: every input sent runs at once (the server sends at most N).
    Async functions run as tasks on one event loop in a thread of its own; others on N threads.
    An input that raises what is not an Exception (SystemExit, KeyboardInterrupt) ends the
    container, as it would one input at a time: the server counts it a crash of what was running."""

    one_at_a_time = False

    def __init__(self, *args, max_inputs: int):
        super().__init__(*args)
        self.is_async = self.fn is not None and (_function_kind(self.fn)[1] or _is_coroutine_function(self.fn))
        if self.is_async:
            from .loops import loop_thread

            self.loop = loop_thread("inputs")
        else:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(max_workers=max_inputs, thread_name_prefix="input")

    def submit(self, input_id: str, attempt: int, args_blob: bytes) -> None:
        if self.is_async:
            import asyncio

            asyncio.run_coroutine_threadsafe(self._run_async_one(input_id, attempt, args_blob), self.loop)
        else:
            self.pool.submit(self._run_in_thread, input_id, attempt, args_blob)

    def _run_in_thread(self, input_id: str, attempt: int, args_blob: bytes) -> None:
        try:
            self.run_one(input_id, attempt, args_blob, True)
        except BaseException:
            self._end_container()

    def _run_async(self, r: Running, awaitable):
        """A sync function that returned an awaitable, on this thread: a loop of its own."""
        import asyncio

        loop = asyncio.new_event_loop()
        try:
            return self._run_task(r, loop, asyncio.ensure_future(awaitable, loop=loop))
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    def _end_container(self) -> None:
        import traceback

        traceback.print_exc()
        self.flush()
        os._exit(1)

    async def _run_async_one(self, input_id: str, attempt: int, args_blob: bytes) -> None:
        try:
            await self._run_async_input(input_id, attempt, args_blob)
        except BaseException:
            self._end_container()

    async def _run_async_input(self, input_id: str, attempt: int, args_blob: bytes) -> None:
        import asyncio

        CURRENT_INPUT.set(input_id)
        CURRENT_CALL.set(self.calls.pop(input_id, ""))
        if self.cancels.is_cancelled(input_id):   # cancelled before it started: it does not
            self.cancels.drop((input_id,))
            self.emit(cancelled(input_id, attempt), urgent=True)
            return
        started = time.perf_counter()
        r = self.cancels.start((input_id,))
        # this task awaits nothing but the function's code: cancelling it interrupts that code
        self.cancels.set_task(r, self.loop, asyncio.current_task())
        try:
            args, kwargs = load_args(args_blob)
            if _function_kind(self.fn)[1]:
                n = 0
                async for item in self.fn(*args, **kwargs):
                    self.emit((input_id, attempt, P.STATUS_GENERATOR_ITEM, self._dump(item, input_id), n, ""), urgent=True)
                    n += 1
                out = (input_id, attempt, P.STATUS_GENERATOR_DONE, b"", n, "")
            else:
                out = (input_id, attempt, P.STATUS_SUCCESS, self._dump(await self.fn(*args, **kwargs), input_id), 0, "")
        except Exception as exc:
            payload, message = failure(exc, self.cp)
            out = (input_id, attempt, P.STATUS_FAILURE, payload, 0, message)
        except BaseException as exc:
            if not self.cancels.cancelled_by(r, exc):
                raise
            out = cancelled(input_id, attempt, exc)
        finally:
            self.cancels.set_task(r, None, None)
            self.cancels.end(r)
        with self._lock:
            self.busy_s += time.perf_counter() - started
        self.emit(out, urgent=True)

    def close(self) -> None:
        """Let running inputs finish (the worker stops the container when it wants them gone)."""
        if self.is_async:
            import asyncio

            pending = asyncio.run_coroutine_threadsafe(_all_tasks_done(), self.loop)
            pending.result()
        else:
            self.pool.shutdown(wait=True)


def cancelled(input_id: str, attempt: int, exc: BaseException | None = None) -> tuple:
    """The output of a cancelled input (the server gave its caller one already: this frees its slot)."""
    message = f"{type(exc).__name__}: {exc}" if exc is not None and str(exc) else "InputCancellation: " + MESSAGE
    return input_id, attempt, P.STATUS_CANCELLED, b"", 0, message


def _is_generator(value) -> bool:
    """A generator or an async generator (what a generator function returns), without inspect."""
    return hasattr(value, "__anext__") or (hasattr(value, "__next__") and hasattr(value, "send"))


def _is_coroutine_function(fn) -> bool:
    code = getattr(fn, "__code__", None)
    return bool(code is not None and code.co_flags & 0x80)   # CO_COROUTINE


async def _all_tasks_done() -> None:
    import asyncio

    from .loops import is_root

    me = asyncio.current_task()
    others = [t for t in asyncio.all_tasks() if t is not me and not is_root(t)]
    if others:
        await asyncio.wait(others)
