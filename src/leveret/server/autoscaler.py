"""Autoscaler: a pure function from one function's load to a scaling decision.

``decide(load, now)`` says how many containers to start and which idle ones to stop, and why (the
server records the reason as a scale event). It reads nothing and writes nothing; the server
gathers ``FunctionLoad`` and applies the ``Decision``. Modal's meanings:

- Work first, by how long the backlog would take, not by how many inputs it has. One input per
  container (the default): once the seconds per input are measured, enough containers (ready and
  starting) for the queue to drain within ``SCALE_UP_DRAIN_S`` — a map of 20 tiny inputs gets one,
  20 inputs of a second each get 20; until then, one container, and twice as many for each
  ``SCALE_UP_WAIT_S`` the oldest queued input has waited (a slow start: short inputs are measured
  before a container per input starts, long ones have their containers within a second or two).
  Never more than one per queued input. ``@concurrent``: enough containers for ``target_inputs``
  of the queued and running inputs each.
- ``min_containers`` run even with no work at all; while there is work, ``buffer_containers``
  more than the busy ones are kept (idle, ready for a burst).
- A container idle for ``scaledown_window`` seconds with nothing queued stops, longest idle
  first, unless that would go below the floor above.
- Never more than ``max_containers`` in all.
"""

from __future__ import annotations

import dataclasses
import math

SCALE_UP_DRAIN_S = 0.5        # expected backlog drain time above which more containers start
SCALE_UP_WAIT_S = 0.2         # oldest queued input's wait that starts more, while speed is unknown


@dataclasses.dataclass(frozen=True)
class ContainerLoad:
    container_id: str
    ready: bool
    outstanding: int          # inputs sent to it and not yet answered
    idle_since: float | None  # when it last became idle; None while busy or starting
    waiting: bool = False     # its input waits on a call it made from inside: it takes nothing more until then


@dataclasses.dataclass(frozen=True)
class FunctionLoad:
    queued: int
    oldest_queued_at: float | None
    seconds_per_input: float | None   # measured per container; None until known
    containers: tuple[ContainerLoad, ...]
    max_containers: int
    scaledown_window: float
    min_containers: int = 0
    buffer_containers: int = 0
    target_inputs: int = 1            # > 1: @concurrent, aim for this many inputs per container


@dataclasses.dataclass(frozen=True)
class Decision:
    start: int = 0
    stop: tuple[str, ...] = ()
    reason: str = ""          # why, in a line, when it starts or stops anything


def decide(load: FunctionLoad, now: float) -> Decision:
    total = len(load.containers)
    starting = sum(1 for c in load.containers if not c.ready)
    ready = sum(1 for c in load.containers if c.ready and not c.waiting)   # those that can take what is queued
    running = sum(c.outstanding for c in load.containers)
    busy = sum(1 for c in load.containers if c.outstanding or not c.ready)
    room = max(0, load.max_containers - total)

    by_work, why = 0, ""
    if load.target_inputs > 1:
        wanted = math.ceil((load.queued + running) / load.target_inputs)
        by_work = min(max(0, wanted - total), load.queued)   # inputs running over the target cannot move
        why = f"{load.queued} queued + {running} running at {load.target_inputs} per container"
    elif load.queued > 0:
        wanted, why = _for_backlog(load, now)
        by_work = max(0, wanted - ready - starting)
        if not ready and not starting:
            why += "; no container ready"
    active = load.queued + running > 0
    floor = load.min_containers
    floor_why = f"min_containers={load.min_containers}"
    if active and load.buffer_containers:
        with_buffer = busy + by_work + load.buffer_containers
        if with_buffer > floor:
            floor, floor_why = with_buffer, f"buffer_containers={load.buffer_containers} beyond the busy ones"
    by_floor = max(0, floor - total - by_work)
    start = min(room, by_work + by_floor)
    reasons = [r for r, n in ((why, by_work), (floor_why, by_floor)) if n and r]

    stop: tuple[str, ...] = ()
    if load.queued == 0:
        idle = sorted((c for c in load.containers if c.ready and c.outstanding == 0 and c.idle_since is not None
                       and now - c.idle_since >= load.scaledown_window), key=lambda c: c.idle_since)
        keep_at_least = min(floor, load.max_containers)
        stoppable = max(0, total - keep_at_least)
        stop = tuple(c.container_id for c in idle[:stoppable])
        if stop:
            reasons.append(f"idle past scaledown_window={load.scaledown_window:g} s")
    if not start and not stop:
        return Decision()
    verbs = [f"start {start}"] if start else []
    verbs += [f"stop {len(stop)}"] if stop else []
    return Decision(start=start, stop=stop, reason=f"{' and '.join(verbs)}: {'; '.join(reasons)}")


def _for_backlog(load: FunctionLoad, now: float) -> tuple[int, str]:
    """How many containers (ready or starting) the queue wants, and why, in the words of a scale event."""
    if load.seconds_per_input is not None:
        work = load.queued * load.seconds_per_input
        wanted = min(load.queued, max(1, math.ceil(work / SCALE_UP_DRAIN_S)))
        return wanted, f"{load.queued} queued, about {work:.1f} s of work at {load.seconds_per_input * 1000:.0f} ms each"
    waited = max(0.0, now - load.oldest_queued_at) if load.oldest_queued_at is not None else 0.0
    wanted = min(load.queued, int(2 ** min(waited / SCALE_UP_WAIT_S, 30) + 1e-9))
    return wanted, f"{load.queued} queued for {waited:.1f} s, their speed not known yet"
