"""Splits a container's output streams into lines, one partial line kept per stream.

A line belongs to the input that was running when it started. Lines longer than
MAX_LINE_CHARS are emitted in pieces of that size. Lines are emitted in lists: the lines of
one chunk of output that belong to one input go in one call.
"""

from __future__ import annotations

from typing import Callable

MAX_LINE_CHARS = 64 * 1024


class LineSplitter:
    def __init__(self, emit: Callable[[int, list[str], str], None]):
        self._emit = emit
        self._partial: dict[int, tuple[str, str]] = {}   # stream -> (text, input that started it)

    def feed(self, stream: int, text: str, input_id: str) -> None:
        prev, owner = self._partial.pop(stream, ("", input_id))
        if prev:
            text = prev + text
        if "\r" in text:   # a line ending in "\r\n" loses its "\r" (a "\r" kept last joins the next chunk)
            text = text.replace("\r\n", "\n")
        *lines, rest = text.split("\n")
        if lines:
            if owner != input_id:
                self._emit_lines(stream, lines[:1], owner)
                del lines[0]
            if lines:
                self._emit_lines(stream, lines, input_id)
            owner = input_id
        if len(rest) > MAX_LINE_CHARS:
            # Emit whole pieces but keep at least one character besides a trailing "\r", so a
            # newline arriving next ends the kept piece instead of making an empty line.
            keep = 2 if rest.endswith("\r") else 1
            cut = (len(rest) - keep) // MAX_LINE_CHARS * MAX_LINE_CHARS
            if cut > 0:
                self._emit_lines(stream, [rest[:cut]], owner)
                rest = rest[cut:]
        if rest:
            self._partial[stream] = (rest, owner)

    def flush_all(self) -> None:
        partial, self._partial = self._partial, {}
        for stream, (rest, owner) in partial.items():
            self._emit_lines(stream, [rest], owner)

    def _emit_lines(self, stream: int, lines: list[str], input_id: str) -> None:
        if max(map(len, lines)) > MAX_LINE_CHARS:
            lines = [line[i:i + MAX_LINE_CHARS] for line in lines for i in range(0, max(len(line), 1), MAX_LINE_CHARS)]
        self._emit(stream, lines, input_id)
