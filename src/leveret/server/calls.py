"""A function call's outputs as they arrive, and the waiters that stream them to clients.

A call is one ``.remote()``, ``.spawn()`` or ``.map()``: ``total`` inputs (unknown while a map is
still sending) and an append-only list of outputs in arrival order. A call is ``done`` when it has
one final output (anything but a generator item) per input.

A call made from inside a container (a nested call) names the input whose code made it
(``parent_input``); ``Children`` keeps, for each such input, the calls it started, so cancelling
it cancels them (and theirs, down the tree). Only cancellation follows the tree: a parent that
finishes leaves what it spawned running.
"""

from __future__ import annotations

import asyncio

from .._shared.status import FINAL
from .model import Output


class CallState:
    __slots__ = ("call_id", "function_id", "app_id", "kind", "total", "sent", "outputs", "finals", "_changed", "cancelled",
                 "on_output", "pending", "detached_at", "parent_input", "taken")

    def __init__(self, call_id: str, function_id: str, app_id: str, kind: str, total: int | None,
                 parent_input: str = ""):
        self.call_id = call_id
        self.parent_input = parent_input   # the input whose code made this call, from inside its container
        self.function_id = function_id
        self.app_id = app_id
        self.kind = kind
        self.total = total
        self.sent = 0
        self.outputs: list[Output] = []
        self.taken = 0   # outputs its reader took off the front of ``outputs`` (a web call's gateway: take())
        self.pending: dict = {}   # input_id -> InputRec of inputs without a final output yet
        self.finals = 0
        self.cancelled = False
        self.on_output = None   # called with the call on each new batch of outputs, if set
        self.detached_at: float | None = None   # its client's stream ended without its result, at this time
        self._changed = asyncio.Event()

    @property
    def done(self) -> bool:
        return self.total is not None and self.finals >= self.total

    def add(self, outputs: list[Output]) -> None:
        self.outputs.extend(outputs)
        self.finals += sum(1 for o in outputs if o.status in FINAL)
        if self.on_output is not None:
            self.on_output(self)
        self._notify()

    def take(self, n: int) -> list[Output]:
        """Remove and return the first ``n`` outputs: read once and passed on (a web call's answer,
        which nothing reads again), so a long streamed answer is not held whole."""
        taken, self.outputs[:n] = self.outputs[:n], []
        self.taken += n
        return taken

    def set_total(self, total: int) -> None:
        self.total = total
        self._notify()

    def wake(self) -> None:
        """Wake the call's waiters without a new output (e.g. its request stream failed)."""
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self) -> None:
        """Wait for the next output, total or wake."""
        await self._changed.wait()

    async def wait_beyond(self, count: int, timeout: float | None = None) -> bool:
        """Wait until there are more than ``count`` outputs or the call is done; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while len(self.outputs) <= count and not self.done:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                return False
        return True


class Children:
    """The calls each input started from inside its container: input id -> those calls still held."""

    def __init__(self):
        self._of: dict[str, list[CallState]] = {}

    def add(self, call: CallState) -> None:
        if call.parent_input:
            self._of.setdefault(call.parent_input, []).append(call)

    def take(self, input_id: str) -> list[CallState]:
        """The calls ``input_id`` started, no longer linked to it (it is being cancelled)."""
        return self._of.pop(input_id, [])

    def drop(self, call: CallState) -> None:
        """``call`` is let go of: it is no longer its parent's to cancel."""
        siblings = self._of.get(call.parent_input)
        if siblings is not None:
            if call in siblings:
                siblings.remove(call)
            if not siblings:
                del self._of[call.parent_input]

    def waiting_on(self, function_id: str) -> set[str]:
        """The inputs with a call of ``function_id`` they started that has not finished."""
        return {parent for parent, calls in self._of.items()
                if any(c.function_id == function_id and not c.done for c in calls)}

    def any_started_by(self, input_ids) -> bool:
        """Whether one of ``input_ids`` started a call that is still held (it may be waiting on it)."""
        return any(i in self._of for i in input_ids)

    def __len__(self) -> int:
        return len(self._of)
