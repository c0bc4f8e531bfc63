"""Cancelling inputs that run: the worker's Cancel frame names an input whose call was cancelled,
and the code running it is interrupted where it runs.

    Cancel(input_id), read by the main thread between inputs, the flusher thread while one runs
        ─▶ Cancels.cancel ─▶ not started yet: skipped when its turn comes
                          ─▶ its code runs on the main thread: SIGUSR1 to it, whose handler raises
                             InputCancellation there (sent again until it has: one that comes just
                             before a blocking call starts is handled only when the call returns)
                          ─▶ on another thread (@concurrent): InputCancellation set as that thread's
                             pending exception
                          ─▶ an async function's task: task.cancel()
    its runner ─▶ an output CANCELLED, and the container goes on with the next input

The exception is raised only while the input's own code runs (between ``enter`` and ``leave``),
never in the bootstrap's (a frame half sent would break the socket). Python code is interrupted at
its next bytecode, a ``time.sleep`` on the main thread at once; code that stays in C (a long
``numpy`` call, a blocking read on another thread) is interrupted when it returns to Python, and
never if it does not: the server then stops its container (server/placement.py CANCEL_GRACE_S).

A ``@batched`` batch is one call for many inputs: it is interrupted only once all of them are
cancelled; a cancelled input still waiting for its batch leaves it. Standard library only.
"""

from __future__ import annotations

import sys
import threading

MESSAGE = "the input was cancelled: its call was cancelled"
_MAIN_THREAD = threading.main_thread().ident


class InputCancellation(BaseException):
    """What the code of a cancelled input sees when Leveret's SDK cannot be imported in its container."""


def cancellation_class() -> type:
    """``leveret.exception.InputCancellation`` (what the function's code catches) when the SDK is
    importable, as it is where the function's module imports leveret; else this module's own."""
    module = sys.modules.get("leveret.exception")
    if module is None:
        try:
            import importlib

            module = importlib.import_module("leveret.exception")
        except Exception:
            return InputCancellation
    return getattr(module, "InputCancellation", InputCancellation)


def _is_task_cancelled(exc: BaseException) -> bool:
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and isinstance(exc, asyncio.CancelledError)


class Running:
    """The code of one input (or one @batched batch's inputs) running on a thread."""

    __slots__ = ("ids", "thread", "main", "in_code", "loop", "task", "pending_exc", "raised")

    def __init__(self, ids: tuple):
        self.ids = ids
        self.thread = threading.get_ident()
        self.main = self.thread == _MAIN_THREAD
        self.in_code = False      # its function's code runs now (not the bootstrap's)
        self.loop = self.task = None   # its asyncio task, while an async function runs
        self.pending_exc = False  # InputCancellation set as its thread's pending exception
        self.raised = False       # the signal's handler raised it (once: not again in its clean-up)


class Cancels:
    """Which inputs the container was sent, which of them were cancelled, and what runs them: the
    thread that reads the worker's frames calls ``sent`` and ``cancel``; the runners ``start``,
    ``enter`` / ``leave`` around the function's code, ``set_task``, ``end``."""

    def __init__(self):
        self._lock = threading.Lock()
        self.pending: set = set()     # sent to this container, not finished
        self.cancelled: set = set()   # of those, cancelled
        self._running: dict = {}      # input id -> Running
        self._main: Running | None = None   # what runs on the main thread
        self._exc: type | None = None

    # ------------------------------------------------------------------ what reads the frames

    def sent(self, input_ids) -> None:
        with self._lock:
            self.pending.update(input_ids)

    def cancel(self, input_id: str) -> bool:
        """Cancel an input: False if it is unknown or finished (nothing to do)."""
        if self._exc is None:
            self._exc = cancellation_class()   # before the lock: it may import the SDK
        with self._lock:
            if input_id not in self.pending or input_id in self.cancelled:
                return False
            self.cancelled.add(input_id)
            r = self._running.get(input_id)
            if r is not None and all(i in self.cancelled for i in r.ids):
                self._interrupt(r)
        return True

    def _interrupt(self, r: Running) -> None:
        if r.task is not None:
            r.loop.call_soon_threadsafe(r.task.cancel)
        elif not r.in_code:
            return   # between its pieces of code (a generator's items): ``enter`` raises
        elif r.main:
            threading.Thread(target=self._signal_until_raised, args=(r,), name="cancel", daemon=True).start()
        elif not r.pending_exc:
            r.pending_exc = _set_async_exc(r.thread, self._exc)

    def _signal_until_raised(self, r: Running) -> None:
        """SIGUSR1 to the main thread until its handler has raised in the input's code, or the input
        ended: a signal that comes just before a blocking call (``time.sleep``) starts is handled
        only once that call returns, so it is sent again, a little less often each time."""
        import signal
        import time

        delay = 0.01
        while True:
            with self._lock:
                if self._main is not r or r.raised:
                    return
                if r.in_code:
                    signal.pthread_kill(r.thread, signal.SIGUSR1)
            time.sleep(delay)
            delay = min(2 * delay, 0.5)

    # ------------------------------------------------------------------ the runners

    def install(self, channel) -> None:
        """The handler of SIGUSR1, on the main thread (its code is interrupted by the signal); the
        channel holds the signal back while the main thread sends a frame (never half sent)."""
        import signal

        signal.signal(signal.SIGUSR1, self._on_signal)
        channel.hold_signals({signal.SIGUSR1}, self._main_in_code)

    def _main_in_code(self) -> bool:
        """Whether this is the main thread, running an input's code (the signal may interrupt it)."""
        r = self._main
        return r is not None and r.in_code and threading.get_ident() == r.thread

    def _on_signal(self, signum, frame) -> None:
        r = self._main   # no lock: a handler runs between two bytecodes of the main thread, maybe under it
        if r is not None and r.in_code and r.task is None and not r.raised and all(i in self.cancelled for i in r.ids):
            r.raised = True
            raise (self._exc or cancellation_class())(MESSAGE)

    def start(self, ids: tuple) -> Running:
        r = Running(ids)
        with self._lock:
            for i in ids:
                self._running[i] = r
            if r.main:
                self._main = r
        return r

    def is_cancelled(self, input_id: str) -> bool:
        return input_id in self.cancelled

    def enter(self, r: Running) -> None:
        """The function's code starts (or goes on): raises InputCancellation if it was cancelled."""
        with self._lock:
            if all(i in self.cancelled for i in r.ids):
                raise (self._exc or cancellation_class())(MESSAGE)
            r.in_code = True

    def leave(self, r: Running) -> None:
        """The function's code returned (or raised): from here it is not interrupted. An exception
        set for its thread that has not been raised yet is taken back."""
        if r.main:   # the signal's handler reads it on this thread
            r.in_code = False
            return
        with self._lock:   # not while ``cancel`` sets one
            r.in_code = False
            if r.pending_exc:
                _set_async_exc(r.thread, None)
                r.pending_exc = False

    def set_task(self, r: Running, loop, task) -> None:
        """The asyncio task running its async code (None: it ended); cancelled at once if it was."""
        with self._lock:
            r.loop, r.task = loop, task
            if task is not None and all(i in self.cancelled for i in r.ids):
                task.cancel()

    def cancelled_by(self, r: Running, exc: BaseException) -> bool:
        """Whether ``exc``, out of its code, says it was cancelled: InputCancellation (whoever raised
        it), or its task cancelled by ``cancel``."""
        if any(c.__name__ == "InputCancellation" for c in type(exc).__mro__):
            return True
        return _is_task_cancelled(exc) and all(i in self.cancelled for i in r.ids)

    def end(self, r: Running) -> None:
        """Its inputs finished: a later Cancel for them is ignored."""
        self.leave(r)
        with self._lock:
            for i in r.ids:
                self._running.pop(i, None)
                self.pending.discard(i)
                self.cancelled.discard(i)
            if self._main is r:
                self._main = None

    def drop(self, input_ids) -> None:
        """Inputs that finished without running (skipped)."""
        with self._lock:
            for i in input_ids:
                self.pending.discard(i)
                self.cancelled.discard(i)


def _set_async_exc(thread_id: int, exc: type | None) -> bool:
    """Raise ``exc`` in another thread at its next bytecode (None: take back one set before);
    False where ctypes is missing (the input then runs on: the server stops its container)."""
    try:
        import ctypes
    except ImportError:
        return False
    set_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    return set_exc(ctypes.c_ulong(thread_id), None if exc is None else ctypes.py_object(exc)) == 1
