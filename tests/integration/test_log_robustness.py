"""Containers' output that is hard to carry: floods, very long lines, bytes that are not UTF-8."""

import re
import time

from apps import basic
from leveret._runner import RunContext
from test_logs_and_lifecycle import Capture

MARKER = re.compile(r"\[leveret: ([\d,]+) lines dropped: (this container printed faster than 100,000 lines/s"
                    r"|the server took lines slower than this container printed them)\]")


def accounted(text: str) -> int:
    """How many of the flood's lines a line stands for: itself, or those a marker says were dropped."""
    if text.startswith("flood "):
        return 1
    m = MARKER.search(text)
    return int(m.group(1).replace(",", "")) if m else 0


def test_a_flood_is_cut_and_counted_while_other_containers_lose_nothing_and_calls_stay_prompt(cluster):
    capture = Capture()
    with RunContext(basic.app, printer=capture):
        flood = basic.flood.spawn(3_000_000)
        capture.wait_for(lambda ls: any(ln.text.startswith("flood ") for ln in ls), timeout=30)
        took = []
        for i in range(5):
            t = time.perf_counter()
            assert basic.quiet.remote(f"q{i}") == f"q{i}"
            took.append(time.perf_counter() - t)
        assert flood.get(timeout=60) == 3_000_000
        # Every line is either shown or counted in a marker (markers come once a second while lines drop)
        capture.wait_for(lambda ls: sum(accounted(ln.text) for ln in ls) >= 3_000_000, timeout=30)
    texts = [ln.text for ln in capture.lines]
    assert [t for t in texts if t.startswith("quiet ")] == [f"quiet q{i} {j}" for i in range(5) for j in range(5)]
    dropped = sum(int(m.group(1).replace(",", "")) for m in map(MARKER.search, texts) if m)
    assert sum(map(accounted, texts)) == 3_000_000 and dropped > 0
    floods = [int(t.split()[1]) for t in texts if t.startswith("flood ")]
    assert floods == sorted(floods)                  # what was kept is in order
    # In-process, the worker, the server and this reader share one event loop with the flood's
    # lines; without the gate and the bounded buffer, calls wait behind a backlog that only grows
    # (bounds generous for a loaded machine: the point is that they do not grow with the flood).
    assert sorted(took)[2] < 3.0 and max(took) < 15.0, f"calls took {took} s during the flood"


def test_a_10_mb_line_arrives_whole_in_pieces_in_order(cluster):
    n = 10 * 1000 * 1000
    capture = Capture()
    with RunContext(basic.app, printer=capture):
        assert basic.long_line.remote(n) == n
        capture.wait_for(lambda ls: sum(len(ln.text) for ln in ls if ln.text[:1].isdigit()) >= n, timeout=30)
    pieces = [ln for ln in capture.lines if ln.text[:1].isdigit()]
    assert len(pieces) > 1 and all(len(p.text) <= 64 * 1024 for p in pieces)
    assert [p.seq for p in pieces] == sorted(p.seq for p in pieces)
    assert "".join(p.text for p in pieces) == "".join(f"{i:08d}" for i in range(n // 8))


def test_bytes_that_are_not_utf8_show_as_replacement_characters_on_every_path(cluster):
    capture = Capture()
    with RunContext(basic.app, printer=capture):
        assert basic.undecodable_bytes.remote() == "printed"
        assert basic.undecodable_bytes.remote() == "printed"   # the container and its readers survived
        capture.wait_for(lambda ls: sum(ln.text == "sub caf\ufffd ok" for ln in ls) == 2)
    texts = [ln.text for ln in capture.lines]
    for expected in ("fd caf\ufffd \ufffd ok", "split \u00e9 ok", "buffer caf\ufffd ok", "buffer split \u00e9 ok",
                     "sub caf\ufffd ok"):
        assert texts.count(expected) == 2, (expected, texts)
