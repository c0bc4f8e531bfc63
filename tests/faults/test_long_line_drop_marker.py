"""A 50 MiB line is more than a container's queue in the worker holds: part of it is dropped, and the
terminal of the run shows what `leveret logs` shows, the marker that says so included."""

import re

from apps import basic
from leveret._runner import RunContext
from leveret._shared.aio import run_sync
from leveret._wire import api_pb2 as pb
from leveret.cli.logs import _print_logs
from leveret.worker.logbuf import MAX_LINE_CHARS

MARKER = re.compile(r"\[leveret: ([\d,]+) lines dropped: [^\]]+\]")


class Keep:
    """A printer that keeps the lines it is given."""

    def __init__(self):
        self.lines = []

    def print_lines(self, lines):
        self.lines.extend(lines)


def output(lines) -> list[tuple]:
    """The function's own lines (the system's verbose ones, e.g. "container stopped", left out)."""
    return [(ln.seq, ln.source, ln.text) for ln in lines if ln.source != pb.LOG_SOURCE_SYSTEM]


def test_a_50_mib_line_shows_on_the_run_as_in_the_logs_with_its_drop_marker(cluster):
    n = 50 * 1024 * 1024
    terminal = Keep()
    run = RunContext(basic.app, printer=terminal)
    with run:
        assert basic.long_line.remote(n) == n
    # No waiting: what the run shows is what it had when it ended.
    stored = Keep()
    run_sync(_print_logs(run.app_id, pb.LogsStreamRequest(history=True), stored))
    assert output(terminal.lines) == output(stored.lines)
    texts = [text for _, _, text in output(stored.lines)]
    markers = [m for m in map(MARKER.fullmatch, texts) if m]
    assert len(markers) == 1, [t for t in texts if t.startswith("[")]
    dropped = int(markers[0].group(1).replace(",", ""))
    shown = "".join(t for t in texts if t[:1].isdigit())
    assert dropped > 0 and shown == "".join(f"{i:08d}" for i in range(len(shown) // 8))   # its start, in order
    assert len(shown) + dropped * MAX_LINE_CHARS == n    # every piece of the line shown or counted
