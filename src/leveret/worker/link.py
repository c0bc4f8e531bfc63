"""The worker's link to its server: one stream at a time, and a new one whenever it breaks.

    connect ─register: what it offers, the containers it still runs, its earlier id─▶ server
            ◀─worker_id, heartbeat_s, reconciled (which containers the server kept), stops, work─
    the stream ends (the server restarted or went away, marked this worker down, the network
    broke) ─▶ wait (0.025 s, doubling, at most 10 s; from the start again once registered; at most
    1 s until it first registered) ─▶ connect
    the token refused ─▶ AuthError: the worker exits, and says why

What goes either way is converted here (convert.py), once: the rest of the worker works on its own
types (model.py). Containers keep running while the link is down, warm ones included; the server keeps those of
functions it still runs and stops the rest. Each failure is logged when it starts or changes, not
at every attempt; a worker that has never reached its server is quiet about it for a moment (its
server may be starting beside it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import grpc

from .._shared.backoff import Backoff
from .._shared.errors import AuthError
from .._wire.channel import open_channel, translate
from . import model as m
from .convert import from_server, to_server
from .rpc import ServerCalls

if TYPE_CHECKING:
    from .agent import Agent

log = logging.getLogger("leveret.worker")

RECONNECT_FIRST_S = 0.025
RECONNECT_MAX_S = 10.0
FIRST_CONNECT_MAX_S = 1.0     # until it first registers (its server may be starting beside it: a daemon's)
FIRST_CONNECT_QUIET_S = 2.0   # a worker that never reached its server says so after this long
# A fresh connection per attempt (its own subchannel, so gRPC's backoff of an earlier failed
# attempt does not hold this one back), and short reconnects inside gRPC too.
LINK_OPTIONS = [
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.initial_reconnect_backoff_ms", 20),
    ("grpc.min_reconnect_backoff_ms", 20),
    ("grpc.max_reconnect_backoff_ms", 1000),
]


def failure_of(err: grpc.aio.AioRpcError, url: str, *, was_up: bool = False) -> str:
    """A failed attempt or a broken stream (``was_up``), in a line; the same failure reads the same each time."""
    code = err.code()
    if code == grpc.StatusCode.UNAVAILABLE and "handshake" in (err.details() or "").lower():
        return str(translate(err, url))   # TLS: says which certificate, and --ca
    if code == grpc.StatusCode.UNAVAILABLE:
        return f"{'lost' if was_up else 'cannot reach'} the server at {url} ({err.details() or 'unavailable'})"
    if code == grpc.StatusCode.CANCELLED:
        return f"the server at {url} cancelled the stream (it is stopping?)"
    if was_up:
        return f"the stream to the server at {url} broke: {code.name}: {err.details() or ''}"
    return f"the server at {url} refused the connection: {code.name}: {err.details() or ''}"


class Link:
    """Keeps ``agent`` connected: ``await Link(agent).run()`` returns only by cancellation, or
    raises AuthError when the server refuses the token."""

    def __init__(self, agent: "Agent"):
        self.agent = agent
        self.backoff = Backoff(RECONNECT_FIRST_S, FIRST_CONNECT_MAX_S)
        self.said = ""               # the failure last logged ("": none since the last registration)
        self.down_since: float | None = None
        self.attempts = 0
        self.registrations = 0

    async def run(self) -> None:
        started = time.monotonic()
        while True:
            why = ""
            try:
                why = await self.session()
            except grpc.aio.AioRpcError as err:
                error = translate(err, self.agent.server_url)
                if isinstance(error, AuthError):
                    raise error from None
                why = failure_of(err, self.agent.server_url, was_up=self.agent.registered.is_set())
            except Exception as exc:   # a bug in one session must not end the worker: log it, connect again
                log.exception("the link to the server failed")
                why = f"the link to the server failed: {type(exc).__name__}: {exc}"
            if self.agent.registered.is_set():   # it was up: a new outage starts, from the first delay
                self.backoff = Backoff(RECONNECT_FIRST_S, RECONNECT_MAX_S)
                self.down_since, self.attempts, self.said = time.monotonic(), 0, ""
            elif self.down_since is None:
                self.down_since = started
            self.agent.registered.clear()
            self.agent.lost_server()
            self.attempts += 1
            delay = self.backoff.next()
            quiet = not self.registrations and time.monotonic() - started < FIRST_CONNECT_QUIET_S
            if why != self.said and not quiet:
                log.warning("%s; connecting again in %.3g s, then at most every %g s until it answers"
                            " (its containers keep running)", why, delay, self.backoff.cap)
                self.said = why
            await asyncio.sleep(delay)

    async def session(self) -> str:
        """One stream, from registration to its end; returns why it ended."""
        agent = self.agent
        outbox: asyncio.Queue = asyncio.Queue()
        # Registration first, with the containers as they are now: what they do from here on
        # (READY, their end, results) goes out on this stream after it.
        outbox.put_nowait(agent.info(containers=agent.reconcile_report(), previous_worker_id=agent.worker_id))
        agent.new_stream(outbox)
        channel, stub = open_channel(agent.server_url, agent.token, extra_options=LINK_OPTIONS, ca=agent.ca)
        agent.server = ServerCalls(channel, stub)
        ended = ""
        call = stub.WorkerConnect()
        writing = asyncio.ensure_future(_write(call, outbox))
        try:
            async for msg in call:
                try:
                    cmd = from_server(msg)
                    if type(cmd) is m.Disconnect:
                        ended = f"the server at {agent.server_url} ended this worker's stream: {cmd.reason}"
                    elif type(cmd) is m.Registered:
                        self.registered(cmd.worker_id)
                    agent.handle(cmd)
                except Exception:   # a bug handling one message must not take the worker down
                    log.exception("could not handle the server's %s message", msg.WhichOneof("msg"))
        finally:
            outbox.put_nowait(None)   # ends the request stream
            writing.cancel()
            await channel.close()
        return ended or f"the server at {agent.server_url} ended this worker's stream"

    def registered(self, worker_id: str) -> None:
        self.registrations += 1
        if self.registrations == 1:
            log.info("registered as %s", worker_id)
        else:
            away = time.monotonic() - self.down_since if self.down_since is not None else 0.0
            log.info("registered as %s again, after %.1f s without the server (%d attempt(s))",
                     worker_id, away, self.attempts)
        self.said, self.down_since, self.attempts = "", None, 0


async def _write(call, outbox: asyncio.Queue) -> None:
    """What is put in ``outbox`` (model.py's reports) written on the stream as it comes, until None
    is. (Written by call.write, not handed over as a request iterator: grpc's consumer of one took
    ~2 ms a message on the worker's loop, ~0.8 ms this way.)"""
    try:
        while (report := await outbox.get()) is not None:
            await call.write(to_server(report))
        await call.done_writing()
    except asyncio.CancelledError:
        raise
    except Exception:   # the stream ended (its reader says why), or a write failed: it ends, the link connects again
        call.cancel()
