"""``@batched``: inputs from any callers gathered into one call of lists, their results split back.

    Inputs ─add─▶ the batch ─(max_batch_size inputs, or wait_ms after its first)─▶ fn(list, …) ─▶ a result each

The server sends a batch's worth to a container at once (its window is max_batch_size); the
container's loop waits for more frames only until the batch is due (serve.py). Each argument
position (and keyword) becomes a list, one item per input, in the order the inputs came; the
function returns a list with one result per input. An exception fails every input of its batch.
An @app.cls's batched method gets its inputs' method name first, the same for all.

A cancelled input that waits for its batch leaves it (CANCELLED, not run); a batch that runs is
interrupted only when every one of its inputs is cancelled (cancel.py): the others want its result.
"""

from __future__ import annotations

import time

from . import protocol as P
from .lifecycle import Instance
from .runner import Runner, cancelled
from .serialization import failure, load_args


class BatchedRunner(Runner):
    one_at_a_time = False

    def __init__(self, *args, max_batch_size: int, wait_ms: int):
        super().__init__(*args)
        self.max_batch_size = max_batch_size
        self.wait_s = wait_ms / 1000
        self.batch: list[tuple] = []   # (input_id, attempt, args_blob) gathered so far
        self.deadline = 0.0            # when the batch runs, full or not

    def add(self, input_id: str, attempt: int, args_blob: bytes) -> None:
        if not self.batch:
            self.deadline = time.monotonic() + self.wait_s
        self.batch.append((input_id, attempt, args_blob))

    def due_in(self) -> float | None:
        """Seconds until the batch should run (0: now), or None with no batch."""
        if not self.batch:
            return None
        if len(self.batch) >= self.max_batch_size:
            return 0.0
        return max(0.0, self.deadline - time.monotonic())

    def run_batch(self) -> None:
        if self.cancels.cancelled:   # cancelled while they waited: they leave the batch
            left = []
            for item in self.batch:
                if self.cancels.is_cancelled(item[0]):
                    self.cancels.drop((item[0],))
                    self.calls.pop(item[0], None)
                    self.emit(cancelled(item[0], item[1]), urgent=False)
                else:
                    left.append(item)
            self.batch = left
        batch, self.batch = self.batch[:self.max_batch_size], self.batch[self.max_batch_size:]
        for input_id, _, _ in batch:   # a batch runs for many calls: none is the current one
            self.calls.pop(input_id, None)
        if self.batch:
            self.deadline = time.monotonic()
        if not batch:
            self.flush()
            return
        if self.import_error is not None:
            self.cancels.drop([input_id for input_id, _, _ in batch])
            for input_id, attempt, _ in batch:
                self.emit((input_id, attempt, self.failure[0], self.import_error, 0, self.failure[1]), urgent=False)
            self.flush()
            return
        started = time.perf_counter()
        r = self.cancels.start(tuple(input_id for input_id, _, _ in batch))
        try:
            outs = self._outputs(r, batch)
        except BaseException as exc:
            if not self.cancels.cancelled_by(r, exc):
                raise
            outs = [cancelled(input_id, attempt, exc) for input_id, attempt, _ in batch]
        finally:
            self.cancels.end(r)
        with self._lock:
            self.busy_s += time.perf_counter() - started
        for out in outs:
            self.emit(out, urgent=False)
        self.flush()

    def _outputs(self, r, batch: list[tuple]) -> list[tuple]:
        try:
            calls = [load_args(args_blob) for _, _, args_blob in batch]
            positional = [list(column) for column in zip(*[args for args, _ in calls])]
            if any(len(args) != len(calls[0][0]) for args, _ in calls) or \
                    any(set(kw) != set(calls[0][1]) for _, kw in calls):
                raise TypeError("the inputs of a batch must pass the same arguments (each becomes a list)")
            keywords = {k: [kw[k] for _, kw in calls] for k in calls[0][1]}
            if isinstance(self.fn, Instance):   # an @app.cls's method: its name first, the same for all
                method = positional.pop(0)[0]
                results = self._call(r, self.fn, method, *positional, **keywords)
            else:
                results = self._call(r, self.fn, *positional, **keywords)
            if hasattr(results, "__await__"):
                results = self._run_async(r, results)
            if not isinstance(results, (list, tuple)) or len(results) != len(batch):
                got = f"{len(results)} results" if isinstance(results, (list, tuple)) else type(results).__name__
                raise TypeError(f"a @batched function returns a list with one result per input: it got"
                                f" {len(batch)} inputs and returned {got}")
        except Exception as exc:
            payload, message = failure(exc, self.cp)
            return [(input_id, attempt, P.STATUS_FAILURE, payload, 0, message) for input_id, attempt, _ in batch]
        outs = []
        for (input_id, attempt, _), result in zip(batch, results):
            try:
                outs.append((input_id, attempt, P.STATUS_SUCCESS, self._dump(result, input_id), 0, ""))
            except Exception as exc:
                payload, message = failure(exc, self.cp)
                outs.append((input_id, attempt, P.STATUS_FAILURE, payload, 0, message))
        return outs
