"""Modal's ``modal.stream_type``: where a sandbox command's output goes (``sandbox.exec(stdout=...)``)."""

from __future__ import annotations

import enum


class StreamType(enum.Enum):
    PIPE = "pipe"        # kept for the program to read (process.stdout.read(), iteration)
    STDOUT = "stdout"    # printed to this process's stdout as it comes
    DEVNULL = "devnull"  # thrown away (the command never waits for a reader)

    def __repr__(self) -> str:
        return f"StreamType.{self.name}"


__all__ = ["StreamType"]
