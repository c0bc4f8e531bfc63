from hypothesis import given
from hypothesis import strategies as st

from leveret.server.autoscaler import (
    SCALE_UP_DRAIN_S,
    SCALE_UP_WAIT_S,
    ContainerLoad,
    Decision,
    FunctionLoad,
    decide,
)

NOW = 1000.0


def load(*, queued=0, oldest_queued_at=None, seconds_per_input=None, containers=(), max_containers=10,
         scaledown_window=60.0, min_containers=0, buffer_containers=0, target_inputs=1):
    return FunctionLoad(queued=queued, oldest_queued_at=oldest_queued_at, seconds_per_input=seconds_per_input,
                        containers=tuple(containers), max_containers=max_containers,
                        scaledown_window=scaledown_window, min_containers=min_containers,
                        buffer_containers=buffer_containers, target_inputs=target_inputs)


def ready(cid, *, outstanding=0, idle_since=None):
    return ContainerLoad(cid, ready=True, outstanding=outstanding, idle_since=idle_since)


def busy(cid, outstanding=1):
    return ContainerLoad(cid, ready=True, outstanding=outstanding, idle_since=None)


def starting(cid):
    return ContainerLoad(cid, ready=False, outstanding=0, idle_since=None)


def test_nothing_queued_and_no_containers_does_nothing():
    assert decide(load(), NOW) == Decision(start=0, stop=())


def test_a_new_functions_backlog_starts_one_container_then_twice_as_many_for_each_wait():
    # the speed is unknown: one now, then 2, 4, 8 ... as the oldest input waits, at most one per input
    for waited, total in ((0.0, 1), (SCALE_UP_WAIT_S / 2, 1), (SCALE_UP_WAIT_S, 2), (2 * SCALE_UP_WAIT_S, 4),
                          (5 * SCALE_UP_WAIT_S, 32), (8 * SCALE_UP_WAIT_S, 50)):
        assert decide(load(queued=50, oldest_queued_at=NOW - waited, max_containers=100), NOW).start == total, waited


def test_queued_with_no_containers_starts_at_most_max_containers():
    assert decide(load(queued=50, oldest_queued_at=NOW - 10, max_containers=4), NOW).start == 4


def test_a_backlog_of_tiny_inputs_gets_one_container_not_one_per_input():
    d = decide(load(queued=20, oldest_queued_at=NOW - 1, seconds_per_input=0.005), NOW)
    assert d.start == 1 and "20 queued, about 0.1 s of work at 5 ms each" in d.reason


def test_a_backlog_of_long_inputs_gets_one_container_per_input():
    d = decide(load(queued=20, oldest_queued_at=NOW, seconds_per_input=1.0, max_containers=40), NOW)
    assert d.start == 20


def test_starting_containers_that_cover_the_queue_start_no_more():
    d = decide(load(queued=2, oldest_queued_at=NOW - 5, containers=[starting("ct-a"), starting("ct-b")]), NOW)
    assert d.start == 0


def test_starting_containers_covering_part_of_the_queue_start_the_rest():
    d = decide(load(queued=5, oldest_queued_at=NOW - 5, containers=[starting("ct-a"), starting("ct-b")]), NOW)
    assert d.start == 3


def test_slow_backlog_scales_up():
    # one ready container, 10 inputs at 1 s each: 10 s to drain, far over SCALE_UP_DRAIN_S
    d = decide(load(queued=10, oldest_queued_at=NOW, seconds_per_input=1.0, containers=[busy("ct-a")],
                    max_containers=20), NOW)
    assert d.start == 9   # ten containers for ten queued inputs: the busy one takes one once free


def test_fast_backlog_does_not_scale_up():
    spi = SCALE_UP_DRAIN_S / 10 / 2  # 10 inputs drain in half of SCALE_UP_DRAIN_S
    d = decide(load(queued=10, oldest_queued_at=NOW - 100, seconds_per_input=spi, containers=[busy("ct-a")]), NOW)
    assert d.start == 0


def test_a_container_waiting_on_a_call_it_made_takes_nothing_so_a_fast_backlog_still_starts_one():
    # its input waits on the queued one (a function calling itself): however fast, it would never drain
    waiting = ContainerLoad("ct-a", ready=True, outstanding=1, idle_since=None, waiting=True)
    spi = SCALE_UP_DRAIN_S / 10 / 2
    d = decide(load(queued=1, oldest_queued_at=NOW, seconds_per_input=spi, containers=[waiting]), NOW)
    assert d.start == 1 and "no container ready" in d.reason
    assert decide(load(queued=1, oldest_queued_at=NOW, seconds_per_input=spi, containers=[busy("ct-a")]), NOW).start == 0


def test_concurrent_containers_bursting_past_their_target_start_none_while_nothing_is_queued():
    # 3 running on a container that aims for 2 (max_inputs allows 3): a new one would have nothing to run
    bursting = ContainerLoad("ct-a", ready=True, outstanding=3, idle_since=None)
    assert decide(load(containers=[bursting], target_inputs=2), NOW).start == 0
    assert decide(load(queued=1, oldest_queued_at=NOW, containers=[bursting], target_inputs=2), NOW).start == 1


def test_known_speed_wins_over_a_long_wait():
    # the oldest input has waited long, but the measured speed says the backlog drains quickly
    d = decide(load(queued=1, oldest_queued_at=NOW - 100, seconds_per_input=0.001, containers=[busy("ct-a")]), NOW)
    assert d.start == 0


def test_unknown_speed_and_long_wait_scales_up():
    d = decide(load(queued=2, oldest_queued_at=NOW - SCALE_UP_WAIT_S * 2, containers=[busy("ct-a")]), NOW)
    assert d.start == 1


def test_unknown_speed_and_short_wait_does_not_scale_up():
    d = decide(load(queued=2, oldest_queued_at=NOW - SCALE_UP_WAIT_S / 2, containers=[busy("ct-a")]), NOW)
    assert d.start == 0


def test_scale_up_never_exceeds_max_containers():
    containers = [busy("ct-a"), busy("ct-b"), starting("ct-c")]
    d = decide(load(queued=100, oldest_queued_at=NOW, seconds_per_input=1.0, containers=containers,
                    max_containers=5), NOW)
    assert d.start == 2


def test_at_max_containers_starts_nothing():
    containers = [busy("ct-a"), busy("ct-b")]
    d = decide(load(queued=100, oldest_queued_at=NOW, seconds_per_input=1.0, containers=containers,
                    max_containers=2), NOW)
    assert d.start == 0


def test_over_max_containers_starts_nothing():
    # max_containers lowered below the running count
    d = decide(load(queued=5, oldest_queued_at=NOW, seconds_per_input=1.0, containers=[busy("ct-a"), busy("ct-b")],
                    max_containers=1), NOW)
    assert d.start == 0


def test_idle_past_scaledown_window_with_empty_queue_is_stopped():
    d = decide(load(containers=[ready("ct-a", idle_since=NOW - 60)], scaledown_window=60), NOW)
    assert d.stop == ("ct-a",)


def test_idle_within_scaledown_window_is_kept():
    d = decide(load(containers=[ready("ct-a", idle_since=NOW - 59.9)], scaledown_window=60), NOW)
    assert d.stop == ()


def test_busy_and_starting_containers_are_never_stopped():
    containers = [busy("ct-busy"), starting("ct-starting"), ready("ct-idle", idle_since=NOW - 1000),
                  # outstanding work with a stale idle_since is still busy
                  ready("ct-odd", outstanding=1, idle_since=NOW - 1000)]
    d = decide(load(containers=containers, scaledown_window=60), NOW)
    assert d.stop == ("ct-idle",)


def test_nothing_is_stopped_while_inputs_are_queued():
    containers = [ready("ct-a", idle_since=NOW - 1000), ready("ct-b", idle_since=NOW - 1000)]
    d = decide(load(queued=1, oldest_queued_at=NOW, containers=containers, scaledown_window=60), NOW)
    assert d.stop == ()


@st.composite
def container_loads(draw, max_size):
    n = draw(st.integers(0, max_size))
    out = []
    for i in range(n):
        is_ready = draw(st.booleans())
        outstanding = draw(st.integers(0, 3)) if is_ready else 0
        idle_since = (draw(st.one_of(st.none(), st.floats(0, NOW)))
                      if is_ready and outstanding == 0 else None)
        out.append(ContainerLoad(f"ct-{i}", ready=is_ready, outstanding=outstanding, idle_since=idle_since))
    return tuple(out)


@st.composite
def function_loads(draw):
    max_containers = draw(st.integers(1, 12))
    containers = draw(container_loads(max_containers))
    queued = draw(st.integers(0, 200))
    return FunctionLoad(
        queued=queued,
        oldest_queued_at=draw(st.one_of(st.none(), st.floats(0, NOW))) if queued else None,
        seconds_per_input=draw(st.one_of(st.none(), st.floats(0, 10))),
        containers=containers,
        max_containers=max_containers,
        scaledown_window=draw(st.floats(1, 600)),
        min_containers=draw(st.integers(0, max_containers)),
        buffer_containers=draw(st.integers(0, 4)),
        target_inputs=draw(st.sampled_from([1, 1, 2, 8])),
    )


@given(function_loads())
def test_decision_never_overcommits_and_stops_only_idle_ready_containers(fl):
    d = decide(fl, NOW)
    assert d.start >= 0
    assert d.start + len(fl.containers) <= fl.max_containers
    kept = fl.min_containers + (fl.buffer_containers if fl.queued or any(c.outstanding for c in fl.containers) else 0)
    assert d.start <= fl.queued + kept
    idle_ready = {c.container_id for c in fl.containers
                  if c.ready and c.outstanding == 0 and c.idle_since is not None}
    assert set(d.stop) <= idle_ready
    assert len(set(d.stop)) == len(d.stop)
    if fl.queued:
        assert d.stop == ()
    # never below min_containers by stopping
    if d.stop:
        assert len(fl.containers) - len(d.stop) >= min(fl.min_containers, fl.max_containers)
    assert bool(d.reason) == bool(d.start or d.stop)


@given(function_loads())
def test_same_load_same_decision(fl):
    assert decide(fl, NOW) == decide(fl, NOW)


def test_min_containers_start_with_no_work_and_are_not_stopped_when_idle():
    d = decide(load(min_containers=2), NOW)
    assert d.start == 2 and "min_containers=2" in d.reason
    idle = [ready("ct-a", idle_since=NOW - 1000), ready("ct-b", idle_since=NOW - 900), ready("ct-c", idle_since=NOW - 10)]
    d = decide(load(min_containers=2, containers=idle, scaledown_window=60), NOW)
    assert d.stop == ("ct-a",)   # longest idle first, down to min_containers
    assert "scaledown_window=60" in d.reason


def test_buffer_containers_are_kept_beyond_the_busy_ones_while_there_is_work():
    d = decide(load(containers=[busy("ct-a")], buffer_containers=2), NOW)
    assert d.start == 2 and "buffer_containers=2" in d.reason
    d = decide(load(containers=[ready("ct-a", idle_since=NOW)], buffer_containers=2), NOW)
    assert d.start == 0   # no work: no buffer


def test_buffer_is_capped_by_max_containers():
    d = decide(load(containers=[busy("ct-a")], buffer_containers=5, max_containers=3), NOW)
    assert d.start == 2


def test_concurrent_functions_scale_by_target_inputs():
    d = decide(load(queued=20, oldest_queued_at=NOW, target_inputs=8), NOW)
    assert d.start == 3 and "at 8 per container" in d.reason
    d = decide(load(queued=4, oldest_queued_at=NOW, containers=[busy("ct-a", 8)], target_inputs=8), NOW)
    assert d.start == 1   # 12 inputs / 8 per container = 2 containers
    d = decide(load(queued=0, containers=[busy("ct-a", 5)], target_inputs=8), NOW)
    assert d.start == 0
