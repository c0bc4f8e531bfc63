"""What became of an input: one table of output statuses for the SDK, the server, the worker, the store
and the metrics.

The numbers are api.proto's ``OutputStatus`` and the container protocol's ``STATUS_*`` (the
bootstrap keeps its own copy, as it imports nothing of leveret); tests check that all three agree.
"""

from __future__ import annotations

import enum


class OutputStatus(enum.IntEnum):
    SUCCESS = 1
    FAILURE = 2            # data: a pickled exception
    GENERATOR_ITEM = 3     # one yielded value; gen_index orders them
    GENERATOR_DONE = 4     # the generator finished; gen_index is their count
    CANCELLED = 5
    TIMEOUT = 6
    INTERNAL_FAILURE = 7   # the container died, the code could not be imported, ...
    OUT_OF_MEMORY = 8      # the container hit its memory limit and was killed


S = OutputStatus
# An input's last output: every status but a generator's item.
FINAL = frozenset(int(s) for s in S if s is not S.GENERATOR_ITEM)
# Final statuses that a function's retries run again.
RETRYABLE = frozenset(int(s) for s in (S.FAILURE, S.TIMEOUT, S.INTERNAL_FAILURE, S.OUT_OF_MEMORY))
# How people read them (`leveret call` listings, the dashboard).
NAMES = {int(s): s.name.lower().replace("_", " ").replace("generator item", "item") for s in S}


def label(status: int) -> str:
    """A final status as metrics and stats count it: a generator that finished succeeded."""
    return "success" if status == S.GENERATOR_DONE else NAMES.get(status, f"status {status}").replace(" ", "_")
