"""Dispatcher.feed_input: more of a web call's request goes to the container running its one input;
once the rest has gone to one container, a new attempt elsewhere cannot get it: the call is cancelled."""

import asyncio
import types

from leveret.server.dispatch import Dispatcher
from leveret.server.model import FeedInput


def container(container_id: str):
    return types.SimpleNamespace(container_id=container_id, stopping=False,
                                 worker=types.SimpleNamespace(outbox=asyncio.Queue()))


def test_the_rest_of_a_request_follows_its_input_and_a_new_attempt_elsewhere_cancels_the_call():
    cancelled = []
    d = types.SimpleNamespace(cancel_call=lambda call, why: cancelled.append(why))
    first, second = container("ct-1"), container("ct-2")
    inp = types.SimpleNamespace(input_id="in-1", container=None)
    call = types.SimpleNamespace(pending={"in-1": inp})
    assert Dispatcher.feed_input(d, call, b"x", False) == ""   # queued: it runs nowhere yet
    inp.container = first
    assert Dispatcher.feed_input(d, call, b"a", False) == "ct-1"
    assert Dispatcher.feed_input(d, call, b"b", True, "ct-1") == "ct-1"
    assert [first.worker.outbox.get_nowait() for _ in range(2)] == [FeedInput("ct-1", "in-1", b"a", False),
                                                                   FeedInput("ct-1", "in-1", b"b", True)]
    inp.container = second   # its container ended; the input runs again elsewhere
    assert Dispatcher.feed_input(d, call, b"c", False, "ct-1") == "" and second.worker.outbox.empty()
    assert cancelled == ["container ct-1, which was reading its request, ended: a streamed request cannot be sent"
                         " again"]
    first.stopping = True
    inp.container = first
    assert Dispatcher.feed_input(d, call, b"d", False) == ""   # stopping: nowhere to send it
