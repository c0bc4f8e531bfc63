"""Log lines from one container to a `leveret logs -f` reader: throughput and delay.

    python bench/logs.py [--lines 300000] [--paced 50000]

Real `leveret server` and `leveret worker --runtime process` processes; this process follows the
app's logs as `leveret logs -f` does (LogsStream, follow) and notes when each line arrives. The
function writes each line's time into it, so delay = arrival - write.

Prints JSON: lines/s delivered when the function prints as fast as it can (and how many the
worker dropped, with its marker lines), and p50/p99 delay of lines printed at a steady rate the
pipeline carries (--paced lines/s for 2 s), beside the targets (>= 100,000 lines/s, p99 <= 100 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _peers import percentile  # noqa: E402
from _procs import server_and_worker  # noqa: E402

DROPPED = re.compile(r"\[leveret: ([\d,]+) lines dropped")


class Reader:
    """A printer that keeps (arrival, write time) of every "lv" line and counts dropped lines."""

    def __init__(self):
        self.arrivals: list[tuple[float, float]] = []
        self.dropped = 0
        self.markers: list[str] = []
        self.changed = threading.Condition()

    def print_lines(self, lines) -> None:
        now = time.time()
        got = []
        for ln in lines:
            text = ln.text
            if text.startswith("lv "):
                got.append((now, float(text.rsplit(" ", 1)[1])))
            elif m := DROPPED.search(text):
                self.dropped += int(m.group(1).replace(",", ""))
                self.markers.append(text)
        with self.changed:
            self.arrivals.extend(got)
            self.changed.notify_all()

    def wait_for(self, n: int, timeout: float) -> None:
        with self.changed:
            self.changed.wait_for(lambda: len(self.arrivals) + self.dropped >= n, timeout)

    def reset(self) -> None:
        with self.changed:
            self.arrivals, self.dropped, self.markers = [], 0, []


def measure(lines: int, paced: int) -> dict:
    from _logs_app import app, emit

    from leveret._runner import RunContext

    reader = Reader()
    with RunContext(app, printer=reader):
        emit.remote(1000)                              # container started, paths warm
        reader.wait_for(1000, 30)
        reader.reset()
        emit.remote(lines)
        reader.wait_for(lines, 60)
        time.sleep(1.2)                                # the last drop marker comes within a second
        fast = list(reader.arrivals)
        first_write = min(w for _, w in fast)
        last_arrival = max(a for a, _ in fast)
        fast_delays = [(a - w) * 1000 for a, w in fast]
        dropped, markers = reader.dropped, reader.markers
        reader.reset()
        emit.remote(2 * paced, paced)
        reader.wait_for(2 * paced, 60)
        steady = [(a - w) * 1000 for a, w in reader.arrivals]
        steady_dropped = reader.dropped
    return {
        "setup": "real `leveret server` and `leveret worker --runtime process` processes; the reader follows"
                 " LogsStream in the bench process (as `leveret logs -f`)",
        "flat_out": {
            "lines_printed": lines,
            "lines_delivered": len(fast),
            "lines_dropped_by_worker": dropped,
            "drop_markers": markers[:4],
            "delivered_lines_per_s": round(len(fast) / (last_arrival - first_write)),
            "delay_p50_ms": round(percentile(fast_delays, 50), 1),
            "delay_p99_ms": round(percentile(fast_delays, 99), 1),
        },
        "steady": {
            "lines_per_s": paced,
            "lines_delivered": len(steady),
            "lines_dropped_by_worker": steady_dropped,
            "delay_p50_ms": round(percentile(steady, 50), 1),
            "delay_p99_ms": round(percentile(steady, 99), 1),
        },
        "targets": {"lines_per_s": ">= 100000", "delay_p99_ms": "<= 100"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--paced", type=int, default=50_000, help="lines/s of the steady phase")
    args = parser.parse_args()
    with server_and_worker("--runtime", "process"):
        print(json.dumps(measure(args.lines, args.paced), indent=2))

if __name__ == "__main__":
    main()
