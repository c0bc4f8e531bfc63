"""A container's lines: rate gate (token bucket) and the bounded per-container buffer."""

from leveret.worker.logflow import REASON_BYTES, REASON_RATE, LogBuffer, RateGate, drop_marker


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def jump(self, s):
        self.now += s


def test_a_second_of_lines_may_come_at_once_then_the_rate_holds():
    clock = FakeClock()
    gate = RateGate(lines_per_s=10, bytes_per_s=1000, clock=clock)
    assert [gate.admit(1) for _ in range(12)] == [True] * 10 + [False] * 2
    clock.jump(0.5)
    assert sum(gate.admit(1) for _ in range(10)) == 5
    clock.jump(10)
    assert sum(gate.admit(1) for _ in range(20)) == 10     # the burst is a second's worth, no more
    assert gate.take_dropped() == {REASON_RATE.format(10): 2 + 5 + 10}
    assert gate.take_dropped() == {}


def test_bytes_are_limited_too_and_say_so():
    clock = FakeClock()
    gate = RateGate(lines_per_s=1000, bytes_per_s=3 * 1024 * 1024, clock=clock)
    assert gate.admit(2 * 1024 * 1024) and not gate.admit(2 * 1024 * 1024)
    assert gate.take_dropped() == {REASON_BYTES.format(3): 1}
    assert REASON_BYTES.format(3) == "this container printed faster than 3 MiB/s"


def test_an_exhausted_gate_counts_lines_dropped_in_bulk():
    clock = FakeClock()
    gate = RateGate(lines_per_s=2, clock=clock)
    assert not gate.exhausted()
    gate.admit(1), gate.admit(1)
    assert gate.exhausted()
    gate.drop(1000)
    clock.jump(1)
    assert not gate.exhausted()
    assert gate.take_dropped() == {REASON_RATE.format(2): 1000}


def test_the_marker_line():
    assert drop_marker(123456, REASON_RATE.format(100_000)) == \
        "[leveret: 123,456 lines dropped: this container printed faster than 100,000 lines/s]"


def test_each_container_has_a_bounded_queue_and_a_quiet_one_is_never_crowded_out():
    buf = LogBuffer(max_lines=3, max_bytes=100)
    assert [buf.add("ct-flood", i, 1) for i in range(5)] == [True] * 3 + [False] * 2
    assert buf.add("ct-quiet", "q", 1)
    assert not buf.add("ct-big", "x", 60) or not buf.add("ct-big", "y", 60)   # bytes bound too
    assert buf.add("ct-flood", "marker", 0, force=True)
    assert buf.take_dropped("ct-flood") == 2 and buf.take_dropped("ct-flood") == 0


def test_batches_take_from_every_container_in_turn_keeping_each_ones_order():
    buf = LogBuffer()
    for i in range(100):
        buf.add("ct-a", ("a", i), 1)
    buf.add("ct-b", ("b", 0), 1)
    buf.add("ct-b", ("b", 1), 1)
    batch = buf.take(10, 1000)
    assert ("b", 0) in batch and ("b", 1) in batch and len(batch) == 10
    assert [x for x in batch if x[0] == "a"] == [("a", i) for i in range(8)]
    assert buf.count == 92
    assert buf.take(1000, 5) == [("a", i) for i in range(8, 13)]     # about max_bytes
    only = buf.take(1000, 10_000, "ct-a")
    assert only == [("a", i) for i in range(13, 100)] and buf.count == 0
