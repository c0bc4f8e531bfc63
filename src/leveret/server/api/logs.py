"""LogsStream: an app's stored log lines, then (``follow``) live ones, filtered on the server."""

from __future__ import annotations

from operator import itemgetter

import grpc

from ..._wire import api_pb2 as pb
from ..store import NO_FILTER, LogFilter, Store


HISTORY_ROWS = 10_000             # stored lines read per query
RESPONSE_BYTES = 4 * 1024 * 1024  # text per LogsStreamResponse, well under the message limit


def _chunks(rows: list[tuple]) -> list[list[tuple]]:
    """Rows in groups of at most RESPONSE_BYTES of text (one longer line goes alone)."""
    if sum(map(len, map(itemgetter(7), rows))) <= RESPONSE_BYTES:
        return [rows] if rows else []
    chunks, chunk, size = [], [], 0
    for row in rows:
        n = len(row[7])
        if chunk and size + n > RESPONSE_BYTES:
            chunks.append(chunk)
            chunk, size = [], 0
        chunk.append(row)
        size += n
    if chunk:
        chunks.append(chunk)
    return chunks


def _log_responses(rows: list[tuple]) -> list[pb.LogsStreamResponse]:
    """Stored rows ``(seq, app_id, function_name, container_id, input_id, source, ts, text)``, or live
    ones with ``verbose`` behind, as replies."""
    return [pb.LogsStreamResponse(lines=[
        pb.LogLine(seq=r[0], app_id=r[1], function_name=r[2], container_id=r[3], input_id=r[4], source=r[5],
                   ts=r[6], text=r[7], verbose=len(r) > 8 and r[8]) for r in chunk]) for chunk in _chunks(rows)]


def _after(rows: list[tuple], seq: int) -> list[tuple]:
    """The rows (in seq order) numbered after ``seq``."""
    if not rows or rows[0][0] > seq:
        return rows
    return [r for r in rows if r[0] > seq]



class LogsApi:
    """Mixed into the servicer (service.py)."""

    async def LogsStream(self, request, context):
        app = await self.reads.run(Store.get_app, request.app_id)
        if app is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no app {request.app_id}")
        flt = LogFilter(function_name=request.function_name, container_id=request.container_id,
                        since=request.since or None, until=request.until or None, search=request.search)
        live = request.follow and request.app_id in self.d.apps
        q = self.logs.follow(request.app_id) if live else None
        try:
            last = request.after_seq
            if request.history:
                if request.tail:
                    rows = await self.reads.run(Store.tail_logs, request.app_id, request.tail, flt)
                    rows = [r for r in rows if r[0] > last]
                    # what the tail left out is older than it: following starts after its newest line
                    # (lines that came meanwhile are in the tail, or newer, or do not match)
                    last = rows[-1][0] if rows else last
                    for resp in _log_responses(rows):
                        yield resp
                else:
                    while True:
                        rows = await self.reads.run(Store.get_logs, request.app_id, last, HISTORY_ROWS, flt)
                        if not rows:
                            break
                        last = rows[-1][0]
                        for resp in _log_responses(rows):
                            yield resp
            if q is None:
                yield pb.LogsStreamResponse(app_done=True)
                return
            yield pb.LogsStreamResponse()  # tells the reader it is following from here on
            while True:
                rows = await q.get()
                done = rows is None
                fresh = [] if done else _after(rows, last)
                while not done and not q.empty():
                    more = q.get_nowait()
                    if more is None:
                        done = True
                    else:
                        fresh = fresh + _after(more, last)   # not +=: the hub's lists are shared
                if fresh:
                    last = fresh[-1][0]
                    if flt != NO_FILTER:
                        fresh = [r for r in fresh if flt.matches(r[2], r[3], r[6], r[7])]
                for resp in _log_responses(fresh):
                    yield resp
                if done:
                    yield pb.LogsStreamResponse(app_done=True)
                    return
        finally:
            if q is not None:
                self.logs.unfollow(request.app_id, q)
