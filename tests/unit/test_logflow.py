"""A container's lines: rate gate (token bucket) and the bounded per-container buffer."""

from leveret.worker.logflow import REASON_BYTES, REASON_RATE, LogBuffer, RateGate, Run, drop_marker


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
    assert gate.admit(["x"] * 12) == (10, 10)
    clock.jump(0.5)
    assert gate.admit(["x"] * 10) == (5, 5)
    clock.jump(10)
    assert gate.admit(["x"] * 20)[0] == 10     # the burst is a second's worth, no more
    assert gate.take_dropped() == {REASON_RATE.format(10): 2 + 5 + 10}
    assert gate.take_dropped() == {}


def test_bytes_are_limited_too_and_say_so():
    clock = FakeClock()
    gate = RateGate(lines_per_s=1000, bytes_per_s=3 * 1024 * 1024, clock=clock)
    big = "x" * (2 * 1024 * 1024)
    assert gate.admit([big, big, "y"]) == (1, len(big))   # what follows a line that does not fit waits too
    assert gate.take_dropped() == {REASON_BYTES.format(3): 2}
    assert REASON_BYTES.format(3) == "this container printed faster than 3 MiB/s"


def test_an_exhausted_gate_counts_lines_dropped_in_bulk():
    clock = FakeClock()
    gate = RateGate(lines_per_s=2, clock=clock)
    assert not gate.exhausted()
    gate.admit(["a", "b"])
    assert gate.exhausted()
    gate.drop(1000)
    clock.jump(1)
    assert not gate.exhausted()
    assert gate.take_dropped() == {REASON_RATE.format(2): 1000}


def test_the_marker_line():
    assert drop_marker(123456, REASON_RATE.format(100_000)) == \
        "[leveret: 123,456 lines dropped: this container printed faster than 100,000 lines/s]"


HEADS = {k: ("ap-1", "f", k) for k in ("ct-flood", "ct-quiet", "ct-big", "ct-a", "ct-b")}


def run(key, texts):
    return Run(HEADS[key], 1, "in-1", 1.0, list(texts))


def add(buf, key, texts, *, force=False):
    return buf.add(key, run(key, texts), sum(map(len, texts)), force=force)


def lines(runs):
    return [(r.head[2], t) for r in runs for t in r.texts]


def test_each_container_has_a_bounded_queue_and_a_quiet_one_is_never_crowded_out():
    buf = LogBuffer(max_lines=3, max_bytes=100)
    assert add(buf, "ct-flood", "abcde") == 3             # the lines that fit; the rest are dropped
    assert add(buf, "ct-flood", "f") == 0
    assert add(buf, "ct-quiet", "q") == 1
    assert add(buf, "ct-big", ["x" * 60, "y" * 60]) == 1  # bytes bound too
    assert add(buf, "ct-flood", ["marker"], force=True) == 1
    assert buf.take_dropped("ct-flood") == 3 and buf.take_dropped("ct-flood") == 0
    assert buf.take_dropped("ct-big") == 1
    assert buf.count == 6


def test_a_queue_over_its_bound_by_forced_markers_counts_each_later_line_once():
    # A drop marker is forced into a full queue; lines that come before the next batch is taken
    # are all dropped and counted, none both queued and counted.
    buf = LogBuffer(max_lines=3, max_bytes=100)
    assert add(buf, "ct-flood", "abc") == 3
    assert add(buf, "ct-flood", ["marker 1", "marker 2"], force=True) == 2
    assert add(buf, "ct-flood", "defg") == 0
    assert buf.take_dropped("ct-flood") == 4
    assert buf.count == 5
    assert [t for _, t in lines(buf.take(100, 1000))] == ["a", "b", "c", "marker 1", "marker 2"]
    assert buf.count == 0 and buf.take(100, 1000) == []


def test_batches_take_from_every_container_in_turn_keeping_each_ones_order():
    buf = LogBuffer()
    for i in range(0, 100, 10):
        add(buf, "ct-a", [f"a{j}" for j in range(i, i + 10)])
    add(buf, "ct-b", ["b0", "b1"])
    batch = lines(buf.take(10, 1000))
    assert ("ct-b", "b0") in batch and ("ct-b", "b1") in batch and len(batch) == 10
    assert [t for k, t in batch if k == "ct-a"] == [f"a{i}" for i in range(8)]
    assert buf.count == 92
    assert [t for _, t in lines(buf.take(1000, 10))] == ["a8", "a9", "a10", "a11"]   # 10 bytes
    only = lines(buf.take(1000, 10_000, "ct-a"))
    assert [t for _, t in only] == [f"a{i}" for i in range(12, 100)] and buf.count == 0
    assert buf.take(1000, 10_000) == []


def test_a_line_longer_than_a_batch_goes_alone():
    buf = LogBuffer()
    add(buf, "ct-a", ["x" * 50, "y"])
    assert lines(buf.take(1000, 10)) == [("ct-a", "x" * 50)]
    assert lines(buf.take(1000, 10)) == [("ct-a", "y")] and buf.count == 0
