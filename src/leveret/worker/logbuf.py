"""Splits a container's output streams into lines, one partial line kept per stream."""

from __future__ import annotations

from typing import Callable

MAX_LINE_CHARS = 64 * 1024   # longer lines are split into pieces of this size


class LineSplitter:
    def __init__(self, emit: Callable[[int, str, str], None]):
        self._emit = emit
        self._partial: dict[int, tuple[str, str]] = {}

    def feed(self, stream: int, text: str, input_id: str) -> None:
        prev, prev_input = self._partial.pop(stream, ("", input_id))
        text = prev + text
        *lines, rest = text.split("\n")
        for line in lines:
            self._emit_split(stream, line.rstrip("\r"), prev_input or input_id)
            prev_input = input_id
        if len(rest) >= MAX_LINE_CHARS:
            cut = len(rest) - len(rest) % MAX_LINE_CHARS
            self._emit_split(stream, rest[:cut], input_id)
            rest = rest[cut:]
        if rest:
            self._partial[stream] = (rest, input_id)

    def flush_all(self) -> None:
        partial, self._partial = self._partial, {}
        for stream, (rest, input_id) in partial.items():
            self._emit_split(stream, rest, input_id)

    def _emit_split(self, stream: int, line: str, input_id: str) -> None:
        for i in range(0, max(len(line), 1), MAX_LINE_CHARS):
            self._emit(stream, line[i:i + MAX_LINE_CHARS], input_id)
