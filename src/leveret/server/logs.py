"""Log hub: stores log lines and fans them out live to the readers following an app."""

from __future__ import annotations

import asyncio
import time

from .._wire import api_pb2 as pb
from .store import Store

SYSTEM = pb.LOG_SOURCE_SYSTEM


class LogHub:
    def __init__(self, store: Store):
        self.store = store
        self._followers: dict[str, set[asyncio.Queue]] = {}

    def add(self, lines: list[pb.LogLine]) -> None:
        """Store lines (in order) and pass them, numbered, to the app's followers."""
        if not lines:
            return
        last = self.store.add_logs(
            [(ln.app_id, ln.function_name, ln.container_id, ln.input_id, ln.source, ln.ts, ln.text) for ln in lines]
        )
        first = last - len(lines) + 1
        by_app: dict[str, list[pb.LogLine]] = {}
        for i, ln in enumerate(lines):
            ln.seq = first + i
            by_app.setdefault(ln.app_id, []).append(ln)
        for app_id, app_lines in by_app.items():
            for q in self._followers.get(app_id, ()):
                q.put_nowait(app_lines)

    def system(self, app_id: str, function_name: str, container_id: str, text: str, *, verbose: bool = False) -> None:
        self.add([pb.LogLine(ts=time.time(), source=SYSTEM, text=text, app_id=app_id,
                             function_name=function_name, container_id=container_id, verbose=verbose)])

    def follow(self, app_id: str) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue()
        self._followers.setdefault(app_id, set()).add(q)
        return q

    def unfollow(self, app_id: str, q: asyncio.Queue) -> None:
        qs = self._followers.get(app_id)
        if qs is not None:
            qs.discard(q)
            if not qs:
                del self._followers[app_id]

    def app_done(self, app_id: str) -> None:
        """Tell the app's followers that no more lines will come."""
        for q in self._followers.get(app_id, ()):
            q.put_nowait(None)
