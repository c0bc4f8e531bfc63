"""Autoscaler: a pure function from one function's load to a scaling decision.

``decide(load, now)`` says how many containers to start and which idle ones to stop. It reads
nothing and writes nothing; the server gathers ``FunctionLoad`` and applies the ``Decision``.

- No container and work queued: start one per queued input, up to ``max_containers``.
- Work queued that the ready containers would take longer than ``SCALE_UP_DRAIN_S`` to drain
  (judged from the measured seconds per input, or by the oldest input's wait while that is
  unknown): start more, one per queued input not already covered by a starting container.
- A container idle for ``scaledown_window`` seconds with nothing queued: stop it.
"""

from __future__ import annotations

import dataclasses

SCALE_UP_DRAIN_S = 0.5        # expected backlog drain time above which more containers start
SCALE_UP_WAIT_S = 0.2         # oldest queued input's wait that starts more, while speed is unknown


@dataclasses.dataclass(frozen=True)
class ContainerLoad:
    container_id: str
    ready: bool
    outstanding: int          # inputs sent to it and not yet answered
    idle_since: float | None  # when it last became idle; None while busy or starting


@dataclasses.dataclass(frozen=True)
class FunctionLoad:
    queued: int
    oldest_queued_at: float | None
    seconds_per_input: float | None   # measured per container; None until known
    containers: tuple[ContainerLoad, ...]
    max_containers: int
    scaledown_window: float


@dataclasses.dataclass(frozen=True)
class Decision:
    start: int = 0
    stop: tuple[str, ...] = ()


def decide(load: FunctionLoad, now: float) -> Decision:
    starting = sum(1 for c in load.containers if not c.ready)
    ready = len(load.containers) - starting
    room = max(0, load.max_containers - len(load.containers))
    start = 0
    if load.queued > 0 and room > 0:
        uncovered = load.queued - starting
        if ready == 0:
            start = min(room, max(0, uncovered))
        elif _backlog_is_slow(load, ready, now):
            start = min(room, max(0, uncovered))
    stop: tuple[str, ...] = ()
    if load.queued == 0:
        stop = tuple(
            c.container_id
            for c in load.containers
            if c.ready and c.outstanding == 0 and c.idle_since is not None
            and now - c.idle_since >= load.scaledown_window
        )
    return Decision(start=start, stop=stop)


def _backlog_is_slow(load: FunctionLoad, ready: int, now: float) -> bool:
    if load.seconds_per_input is not None:
        return load.queued * load.seconds_per_input / ready > SCALE_UP_DRAIN_S
    return load.oldest_queued_at is not None and now - load.oldest_queued_at > SCALE_UP_WAIT_S
