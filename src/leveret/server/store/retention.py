"""Retention in the store: deleting the rows of calls that are done with, oldest first, in
batches whose transactions stay short however big the backlog; and the rows of containers that
stopped and of workers that left.

A call is *prunable* at a cut (a time: now less the retention) when it was created before the
cut, its last output was stored before it, and it can make no more progress:

- its app stopped before the cut: what it has not finished never will;
- it has a final output for each input (its total known and reached);
- its total is known and it has no inputs left: a prune that ran out of batch went this far
  (retried attempts go first, inputs next, outputs after them, the call's row last, so a call stays prunable throughout);
- it is a ``.remote`` or ``.map`` call: their callers read them from the server's memory and a
  server restart ends them (only spawned and scheduled calls are restored).

The store cannot see the server's memory: the caller names the calls still held there (``keep``),
which are never deleted, finished or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Container

GENERATOR_ITEM = 3          # the one output status that is not final
CALLS_PER_STEP = 500        # calls looked at per step (ids in one IN list)

# Calls that are prunable at the cut, oldest first, from a position (created_at, id) on.
_PRUNABLE = """
SELECT c.created_at, c.id FROM calls c
LEFT JOIN functions f ON f.id = c.function_id LEFT JOIN apps a ON a.id = f.app_id
WHERE c.created_at < ? AND c.created_at >= ? AND (c.created_at > ? OR c.id > ?)
  AND COALESCE((SELECT o.finished_at FROM outputs o WHERE o.call_id = c.id ORDER BY o.seq DESC LIMIT 1), 0) < ?
  AND ((a.state = 'stopped' AND a.stopped_at < ?)
       OR c.kind IN ('remote', 'map')
       OR (c.total IS NOT NULL
           AND (NOT EXISTS (SELECT 1 FROM inputs i WHERE i.call_id = c.id)
                OR (SELECT COUNT(*) FROM outputs o WHERE o.call_id = c.id AND o.status != ?) >= c.total)))
ORDER BY c.created_at, c.id LIMIT ?
"""


@dataclass(frozen=True)
class PrunedCalls:
    """What one step of ``prune_calls`` did."""

    call_ids: list[str]                  # calls deleted, with all their inputs, attempts and outputs
    rows: int                            # input, attempt and output rows deleted
    after: tuple[float, str] | None      # where the next step starts (pass it back)
    more: bool                           # False: nothing was left to look at; the prune is over


class CallRetention:
    """The retention half of ``SqlStore`` (which mixes it in): its SQL uses ``SqlStore``'s
    ``_execute`` and ``transaction``, the same on every backend."""

    def prune_calls(self, before: float, limit: int, *, keep: Container[str] = (),
                    after: tuple[float, str] | None = None) -> PrunedCalls:
        """One step of deleting calls prunable at ``before`` (see the module), oldest first, from
        ``after`` on (a step's ``after``; None to start), in one transaction that deletes at most
        ``limit`` input, attempt and output rows. Calls in ``keep`` are skipped.

        A call whose rows do not all fit is deleted over several steps; its id is in the step that
        deletes its row. Call again with the returned ``after`` while ``more``."""
        start = after or (-1.0, "")
        with self.transaction():
            found = self._execute(_PRUNABLE, (before, start[0], start[0], start[1], before, before,
                                              GENERATOR_ITEM, CALLS_PER_STEP)).fetchall()
            if not found:
                return PrunedCalls([], 0, after, more=False)
            taken: list[tuple[float, str]] = []
            for created_at, call_id in found:
                if call_id not in keep:
                    taken.append((created_at, call_id))
                elif taken:
                    break           # the next step starts at this one
                else:
                    after = (created_at, call_id)   # kept ones in front are passed for good
            if not taken:
                return PrunedCalls([], 0, after, more=True)
            ids = [call_id for _, call_id in taken]
            marks = ",".join("?" * len(ids))
            budget = limit
            for delete in (f"DELETE FROM attempts WHERE (call_id, input_id, attempt) IN (SELECT call_id, input_id,"
                           f" attempt FROM attempts WHERE call_id IN ({marks}) LIMIT ?)",
                           f"DELETE FROM inputs WHERE id IN (SELECT id FROM inputs WHERE call_id IN ({marks}) LIMIT ?)",
                           f"DELETE FROM outputs WHERE (call_id, seq) IN"
                           f" (SELECT call_id, seq FROM outputs WHERE call_id IN ({marks}) LIMIT ?)"):
                n = self._execute(delete, ids + [budget]).rowcount
                budget -= n
                if not budget:      # there may be more: the next step goes on with these calls
                    return PrunedCalls([], limit, after, more=True)
            self._execute(f"DELETE FROM calls WHERE id IN ({marks})", ids)
            return PrunedCalls(ids, limit - budget, taken[-1], more=True)

    def delete_ended(self, before: float, limit: int) -> int:
        """Delete up to ``limit`` rows of containers that stopped, and of workers that disconnected,
        before ``before``; return how many."""
        with self.transaction():
            n = self._execute("DELETE FROM containers WHERE id IN"
                              " (SELECT id FROM containers WHERE stopped_at < ? LIMIT ?)", (before, limit)).rowcount
            if n < limit:
                n += self._execute("DELETE FROM workers WHERE id IN"
                                   " (SELECT id FROM workers WHERE disconnected_at < ? LIMIT ?)",
                                   (before, limit - n)).rowcount
            return n
