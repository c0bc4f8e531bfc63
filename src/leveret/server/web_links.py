"""Web functions' direct links: a ready container of a web function holds a connection to the
server (container/web_link.py opens it through the direct port), and the gateway sends a request
straight down it when the container has room, its answer read back as it comes — no input, no
queue, no worker hop, nothing stored: a web request's answer is its client's alone.

    gateway ─pick(fn)─▶ a link of the function's live version whose container is ready and runs
        fewer than max_inputs (queued inputs and direct requests together), none queued
        (what waits goes first, and a full function's requests queue: the autoscaler sees them)
        ─request()─▶ REQUEST frame; the container counts one more running (ContainerRec.direct:
        the autoscaler, the pump and scale-down see it) ─▶ Direct: its items as they come
    ◀─ ITEM / BYTES … DONE | FAILED: the request ends, its slot is free (queued inputs may take it)
    a client gone, or past the function's timeout ─▶ CANCEL, and the request ends here (504 for the
        timeout); the container's end (or its link's) ends what ran on it (502)

A request's answer held for a slow client past HIGH_WATER pauses reading the link (all its
container's answers) until that client has taken it.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
from typing import TYPE_CHECKING

from .._shared.status import S
from ..container.web_link import BODY, BODY_END, BYTES, CANCEL, DONE, FAILED, FRAME, REQUEST   # the protocol, both ends'
from .model import Output

if TYPE_CHECKING:
    from .dispatch import Dispatcher
    from .state import ContainerRec, FunctionState

log = logging.getLogger("leveret.server")

HIGH_WATER = 4 << 20   # bytes of one answer held for its client before the link pauses
MAX_PAYLOAD = 64 << 20


class WebLinks:
    def __init__(self, dispatcher: "Dispatcher"):
        self.d = dispatcher
        self.by_function: dict[str, dict[str, Link]] = {}

    def attach(self, container_id: str, transport: asyncio.Transport) -> "Link | None":
        """The link of a container whose token opened it; None when it is no web function's."""
        ct = self.d.containers.get(container_id)
        if ct is None or ct.stopping or not (ct.function.spec.web_kind or ct.function.spec.web_methods):
            return None
        old = self.by_function.get(ct.function.function_id, {}).get(container_id)
        if old is not None:
            old.close()
        link = self.by_function.setdefault(ct.function.function_id, {})[container_id] = Link(self, ct, transport)
        return link

    def pick(self, fn: "FunctionState") -> "Link | None":
        """A link whose container has room now (the least busy), or None: the request is queued."""
        links = self.by_function.get(fn.function_id)
        if not links or fn.queued:
            return None
        room, best, best_busy = max(1, fn.spec.max_inputs), None, 0
        for link in list(links.values()):
            ct = link.ct
            if self.d.containers.get(ct.container_id) is not ct:
                link.close()   # its container is gone (the link's end may not have come yet)
                continue
            busy = len(ct.outstanding) + ct.direct
            if ct.ready and not ct.stopping and busy < room and (best is None or busy < best_busy):
                best, best_busy = link, busy
        return best

    def gone(self, ct: "ContainerRec") -> None:
        """The container ended: its link ends what ran on it."""
        link = self.by_function.get(ct.function.function_id, {}).get(ct.container_id)
        if link is not None:
            link.close()

    def _detach(self, link: "Link") -> None:
        links = self.by_function.get(link.ct.function.function_id)
        if links is not None and links.get(link.ct.container_id) is link:
            del links[link.ct.container_id]
            if not links:
                del self.by_function[link.ct.function.function_id]


class Link:
    """One container's link: frames both ways, its requests by id."""

    def __init__(self, links: WebLinks, ct: "ContainerRec", transport: asyncio.Transport):
        self.links, self.ct, self.transport = links, ct, transport
        self.requests: dict[int, Direct] = {}
        self._ids = itertools.count(1)
        self._buffer = bytearray()
        self.paused_by: Direct | None = None
        self.closed = False

    def request(self, args: bytes) -> "Direct":
        """Send a request (its pickled arguments, as an input's); counted running on its container."""
        rid = next(self._ids)
        made = self.requests[rid] = Direct(self, rid)
        self.ct.direct += 1
        self.ct.idle_since = None
        self.transport.write(FRAME.pack(len(args), rid, REQUEST) + args)
        return made

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        at = 0
        while len(buffer) - at >= FRAME.size:
            length, rid, kind = FRAME.unpack_from(buffer, at)
            if length > MAX_PAYLOAD:
                log.info("container %s: a web answer's frame of %d bytes: closing its link", self.ct.container_id, length)
                self.close()
                return
            start = at + FRAME.size
            if len(buffer) - start < length:
                break
            request = self.requests.get(rid)
            if request is not None:   # (else it ended here already: cancelled, timed out)
                request.put(kind, bytes(buffer[start:start + length]))
            at = start + length
        del buffer[:at]

    def connection_lost(self) -> None:
        self.closed = True
        for request in list(self.requests.values()):
            request.end(Output(0, S.FAILURE, message="its container ended while answering"))
        self.links._detach(self)

    def close(self) -> None:
        if not self.closed:
            self.transport.close()   # connection_lost follows
            self.closed = True
            self.links._detach(self)

    def _ended(self, request: "Direct") -> None:
        if self.requests.pop(request.rid, None) is None:
            return
        if self.paused_by is request:
            self._resume()
        ct, d = self.ct, self.links.d
        ct.direct -= 1
        if not ct.direct and not ct.outstanding:
            ct.idle_since = d.clock.time()
        d.metrics.direct_finished(ct.function, request.status, d.clock.time() - request.started)
        if ct.function.queued:   # its slot may be what a queued input waits for
            d.pump(ct.function)

    def _pause(self, request: "Direct") -> None:
        if self.paused_by is None and not self.closed:
            self.paused_by = request
            self.transport.pause_reading()

    def _resume(self) -> None:
        self.paused_by = None
        if not self.closed:
            self.transport.resume_reading()


class Direct:
    """A request on a link: its answer's items as they come (``items``, as the gateway reads a
    web call's), its body's rest sent on (``feed``), ``cancel`` when its client goes away."""

    def __init__(self, link: Link, rid: int):
        self.link, self.rid = link, rid
        self._items: collections.deque = collections.deque()
        self._held = 0
        self._more = asyncio.Event()
        self.status = S.GENERATOR_DONE   # (as a web input's answer ends)
        d = link.links.d
        self.started = d.clock.time()
        timeout = link.ct.function.spec.timeout_s
        self._timer = asyncio.get_running_loop().call_later(timeout, self._timed_out, timeout) if timeout > 0 else None

    def put(self, kind: int, payload: bytes) -> None:
        if kind == DONE:
            self.end(None)
            return
        if kind == FAILED:
            self.end(Output(0, S.FAILURE, message=payload.decode("utf-8", "replace")))
            return
        self._items.append((kind, payload))
        self._held += len(payload)
        if self._held > HIGH_WATER:
            self.link._pause(self)
        self._more.set()

    def end(self, failure: Output | None) -> None:
        """Its last item: ``failure``, or None (the whole answer came)."""
        if self._timer is not None:
            self._timer.cancel()
        if failure is not None:
            self.status = failure.status
        self._items.append((None, failure))
        self._more.set()
        self.link._ended(self)

    def feed(self, data: bytes, end: bool) -> bool:
        """More of the request's body; False once nothing takes it."""
        if self.rid not in self.link.requests or self.link.closed:
            return False
        self.link.transport.write(FRAME.pack(len(data), self.rid, BODY_END if end else BODY) + data)
        return True

    def cancel(self) -> None:
        if self.rid in self.link.requests:
            if not self.link.closed:
                self.link.transport.write(FRAME.pack(0, self.rid, CANCEL))
            self.end(Output(0, S.CANCELLED, message="its HTTP client went away"))

    def _timed_out(self, timeout: float) -> None:
        self._timer = None
        if self.rid in self.link.requests:
            if not self.link.closed:
                self.link.transport.write(FRAME.pack(0, self.rid, CANCEL))
            self.end(Output(0, S.TIMEOUT, message=f"it ran past its timeout of {timeout:g} s"))

    async def items(self, plain_loads):
        """("item", a plain value) each, then ("done", None), or ("failed", its failure)."""
        while True:
            if not self._items:
                self._more.clear()
                await self._more.wait()
                continue
            kind, payload = self._items.popleft()
            if kind is None:
                yield ("done", None) if payload is None else ("failed", payload)
                return
            self._held -= len(payload)
            if self.link.paused_by is self and self._held < HIGH_WATER // 2:
                self.link._resume()
            if kind == BYTES:
                yield "item", payload
                continue
            try:
                yield "item", plain_loads(payload)
            except Exception as exc:
                self.cancel()
                yield "failed", f"answered what is not an HTTP response: {exc}"
                return
