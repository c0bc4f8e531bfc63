"""Printing log lines in the terminal, attributed to their function and container."""

from __future__ import annotations

import contextlib
import sys
import time

STDOUT, STDERR, SYSTEM = 1, 2, 3


def _write(stream, text: str) -> None:
    """Write and flush; what the terminal's encoding cannot show becomes '?' (never an error)."""
    try:
        stream.write(text)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        stream.write(text.encode(encoding, "replace").decode(encoding))
    stream.flush()


class LogPrinter:
    def __init__(self, *, timestamps: bool = False, attribute: bool = True, verbose: bool = False):
        self.timestamps = timestamps
        self.attribute = attribute
        self.verbose = verbose

    def _color(self, stream) -> bool:
        return hasattr(stream, "isatty") and stream.isatty()

    def print_lines(self, lines) -> None:
        out_parts: list[str] = []
        err_parts: list[str] = []
        for ln in lines:
            if ln.verbose and not self.verbose:
                continue
            (err_parts if ln.source in (STDERR, SYSTEM) else out_parts).append(self.format(ln))
        if out_parts:
            _write(sys.stdout, "".join(out_parts))
        if err_parts:
            _write(sys.stderr, "".join(err_parts))
        from . import _progress

        if _progress.current is not None:
            _progress.current.lines(lines)

    def format(self, ln) -> str:
        prefix = ""
        if self.timestamps:
            prefix += time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(ln.ts)) + f".{int(ln.ts % 1 * 1000):03d} "
        if self.attribute:
            who = ln.function_name or "system"
            if ln.container_id:
                who += " " + ln.container_id
            prefix += f"[{who}] "
        if ln.source == SYSTEM:
            prefix += "leveret: "
        stream = sys.stderr if ln.source in (STDERR, SYSTEM) else sys.stdout
        if prefix and self._color(stream):
            prefix = f"\x1b[2m{prefix}\x1b[0m"
        return prefix + ln.text + "\n"


_forced = [0]   # enable_output() blocks open


def output_enabled() -> bool:
    return _forced[0] > 0


@contextlib.contextmanager
def enable_output(show_progress: bool = True):
    """Within the block, runs show their functions' logs (as ``app.run(show_logs=True)``), whatever
    they were asked: Modal programs wrap ``app.run()`` in it to see output."""
    _forced[0] += 1
    try:
        yield
    finally:
        _forced[0] -= 1
