"""Queues: named objects of kind "queue" holding FIFO partitions of pickled values (opaque here) in
the store, so they outlive runs and server restarts. A partition is cleared ``partition_ttl``
seconds after its last put; b"" is the default partition.

    QueuePut ─▶ put (full: wait for room, up to its timeout) ─▶ Waiters.put_done wakes that many getters
    QueueGet ─▶ pop n (empty: wait for a put, up to its timeout) ─▶ Waiters.taken wakes waiting putters
    QueueNextItems ─▶ a page left in place (none: wait for a put) — Queue.iterate, `leveret queue peek`
    QueueLen, QueueClear; ObjectDelete of a queue ─▶ its values go with it, its waiters are woken

Waiting is on the server, in memory (``Waiters``): a get blocked on an empty partition is answered
as soon as a put lands there, with no polling by anyone. Each wait is an ``attempt`` on the store,
then, if it found nothing, a future in the partition's line; the partition's ``version`` (bumped at
each change this server makes) tells a waiter that something changed between its attempt and its
place in the line, so no wake-up is missed.
"""

from __future__ import annotations

import asyncio
import collections
from typing import TYPE_CHECKING, Awaitable, Callable, TypeVar

from .errors import Invalid
from .objects import Kind, register

if TYPE_CHECKING:
    from .store import Store

T = TypeVar("T")

MAX_VALUE_BYTES = 1024 * 1024          # a pickled value (Modal's 1 MiB)
MAX_PARTITION_ITEMS = 5000             # values one partition holds (Modal's)
MAX_PARTITIONS = 100_000               # partitions one queue holds (Modal's)
MAX_PARTITION_KEY_BYTES = 64
MAX_PUT_BYTES = 64 * 1024 * 1024       # values one put_many sends
DEFAULT_TTL_S = 24 * 3600.0
MAX_TTL_S = 7 * 24 * 3600.0
PAGE = 1000                            # values a get_many or a page returns, at most


def _delete_values(store: "Store", row) -> None:
    store.queue_clear(row.id, None)


QUEUE = register(Kind(name="queue", prefix="qu", label="Queue", on_delete=_delete_values))


def check_partition(part: bytes) -> None:
    if len(part) > MAX_PARTITION_KEY_BYTES:
        raise Invalid(f"a Queue partition key is 1 to {MAX_PARTITION_KEY_BYTES} bytes, this one {len(part)}:"
                      " use a shorter key (a hash of a long one)")


def check_put(values: list[bytes], ttl: float) -> float:
    """The partition's time to live for a put of ``values`` (refused if too big); 0 means a day."""
    if not values:
        raise Invalid("a Queue put needs at least one value")
    if len(values) > MAX_PARTITION_ITEMS:
        raise Invalid(f"a Queue partition holds at most {MAX_PARTITION_ITEMS} values, and this put has"
                      f" {len(values)}: split it, or spread the values over partitions")
    total = 0
    for value in values:
        if len(value) > MAX_VALUE_BYTES:
            raise Invalid(f"a Queue value is at most {MAX_VALUE_BYTES // (1024 * 1024)} MiB pickled, this one"
                          f" {len(value)} bytes: keep large data in a Volume and its path in the Queue")
        total += len(value)
    if total > MAX_PUT_BYTES:
        raise Invalid(f"a Queue put sends at most {MAX_PUT_BYTES // (1024 * 1024)} MiB, this one {total} bytes:"
                      " split it into several put_many calls")
    if ttl < 0 or ttl > MAX_TTL_S:
        raise Invalid(f"partition_ttl is between 1 second and {MAX_TTL_S / 86400:.0f} days, not {ttl}")
    return ttl or DEFAULT_TTL_S


def put(store: "Store", queue_id: str, part: bytes, values: list[bytes], ttl: float) -> bool:
    """Store the values (False: the partition is full, nothing stored)."""
    QUEUE.check(store, queue_id)
    outcome = store.queue_put(queue_id, part, values, ttl, max_items=MAX_PARTITION_ITEMS, max_partitions=MAX_PARTITIONS)
    if outcome == "partitions":
        raise Invalid(f"a Queue holds at most {MAX_PARTITIONS} partitions: clear some (queue.clear(partition=...))"
                      " or let them expire (partition_ttl)")
    return outcome == "stored"


def pop(store: "Store", queue_id: str, part: bytes, n: int) -> list[bytes]:
    QUEUE.check(store, queue_id)
    return store.queue_pop(queue_id, part, max(1, min(n, PAGE)))


def length(store: "Store", queue_id: str, part: bytes | None) -> tuple[int, int]:
    QUEUE.check(store, queue_id)
    return store.queue_len(queue_id, part)


def clear(store: "Store", queue_id: str, part: bytes | None) -> None:
    QUEUE.check(store, queue_id)
    store.queue_clear(queue_id, part)


def page(store: "Store", queue_id: str, part: bytes, after: int, limit: int) -> list[tuple[int, bytes]]:
    QUEUE.check(store, queue_id)
    return store.queue_page(queue_id, part, after, min(limit or PAGE, PAGE))


class _Line:
    """A partition's waiters: getters (woken one per value put), putters waiting for room and
    watchers of any put (woken all); ``users``: the waits under way on it, which keep it listed."""

    __slots__ = ("version", "users", "getters", "putters", "watchers")

    def __init__(self):
        self.version = 0
        self.users = 0
        self.getters: collections.deque[asyncio.Future] = collections.deque()
        self.putters: collections.deque[asyncio.Future] = collections.deque()
        self.watchers: collections.deque[asyncio.Future] = collections.deque()


def _wake(line: collections.deque, n: int | None = None) -> None:
    """Wake ``n`` waiting futures of a line (None: all), skipping those gone."""
    while line and (n is None or n > 0):
        fut = line.popleft()
        if not fut.done():
            fut.set_result(None)
            if n is not None:
                n -= 1


class Waiters:
    """The server's waits on its queues' partitions, keyed (queue id, partition)."""

    def __init__(self):
        self._lines: dict[tuple[str, bytes], _Line] = {}
        self._blocked: collections.Counter[str] = collections.Counter()   # container id -> its gets in line

    def blocked(self, container_id: str) -> bool:
        """A get made by this container's code waits in a line (the dispatcher sends it nothing more meanwhile)."""
        return self._blocked.get(container_id, 0) > 0

    def waiting(self) -> int:
        """Waiters in line now, between two tries (a test's way to know that getters wait)."""
        return sum(len(line.getters) + len(line.putters) + len(line.watchers) for line in self._lines.values())

    def put_done(self, key: tuple[str, bytes], n: int) -> None:
        """``n`` values were put: wake as many getters, and every watcher."""
        line = self._lines.get(key)
        if line is not None:
            line.version += 1
            _wake(line.getters, n)
            _wake(line.watchers)

    def taken(self, key: tuple[str, bytes]) -> None:
        """Values were taken (or cleared): wake the putters waiting for room."""
        line = self._lines.get(key)
        if line is not None:
            line.version += 1
            _wake(line.putters)

    def forget(self, queue_id: str) -> None:
        """The queue was cleared or deleted: wake every waiter of it, to look again."""
        for (qid, _), line in list(self._lines.items()):
            if qid == queue_id:
                line.version += 1
                for waiters in (line.getters, line.putters, line.watchers):
                    _wake(waiters)

    async def until(self, key: tuple[str, bytes], which: str, attempt: Callable[[], Awaitable[T]],
                    timeout: float | None, container_id: str = "") -> T:
        """``attempt()`` until it returns something true, waiting in line ``which`` ("getters",
        "putters", "watchers") between tries; its last (false) answer once ``timeout`` seconds
        (None: no limit) have passed. ``container_id``: the container whose code waits (``blocked``)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        line = self._lines.setdefault(key, _Line())
        line.users += 1
        waiters = getattr(line, which)
        try:
            while True:
                seen = line.version
                found = await attempt()
                left = None if deadline is None else deadline - loop.time()
                if found or (left is not None and left <= 0):
                    return found
                if line.version != seen:
                    continue   # something changed while the attempt ran: try again at once
                fut = loop.create_future()
                waiters.append(fut)
                if container_id:
                    self._blocked[container_id] += 1
                try:
                    await asyncio.wait_for(asyncio.shield(fut), left)
                except asyncio.TimeoutError:
                    pass   # one more attempt, then its answer
                except asyncio.CancelledError:
                    if fut.done() and which == "getters":
                        _wake(waiters, 1)   # woken for a value it will not take: pass it on
                    raise
                finally:
                    if container_id:
                        self._blocked[container_id] -= 1
                        if not self._blocked[container_id]:
                            del self._blocked[container_id]
                    if not fut.done():
                        fut.cancel()
                        waiters.remove(fut)
        finally:
            line.users -= 1
            if not line.users and self._lines.get(key) is line:
                del self._lines[key]
