"""Web requests on a warm container's link (server/web_links.py, container/web_link.py): straight
from the gateway to the container, no input made; streamed both ways; a crash, a timeout, a client
that leaves and a link that ends each answered; with no link, requests are inputs again."""

import concurrent.futures
import hashlib
import http.client
import json
import os
import socket
import time
import urllib.parse

import pytest

from _http import fetch
from apps import web_link_app
from leveret._shared.aio import run_sync
from leveret._shared.status import OutputStatus


@pytest.fixture(scope="module")
def running(cluster):
    with web_link_app.app.run(show_logs=False):
        yield web_link_app


def linked(cluster, function) -> "object":
    """The link of a container of ``function`` (a request started one if none ran)."""
    assert fetch(function.get_web_url() + "/warm")[0] == 200
    def found(d):
        return list(d.web_links.by_function.get(function.object_id, {}).values())

    cluster.wait_for(found)
    return found(cluster.server.dispatcher)[0]


class counting_inputs:
    """Counts the requests that went as inputs (web calls made) while it is entered."""

    def __init__(self, cluster):
        self.d, self.made = cluster.server.dispatcher, 0

    def __enter__(self):
        real = self.d.new_call

        def counted(*args, **kwargs):
            self.made += 1
            return real(*args, **kwargs)

        self.d.new_call = counted
        return self

    def __exit__(self, *exc):
        del self.d.new_call


def web_calls(cluster) -> list:
    return [c for c in cluster.server.dispatcher.calls.values() if c.kind == "web"]


def test_a_warm_containers_requests_make_no_input_and_stream_event_by_event(running, cluster):
    link = linked(cluster, running.fast)
    url = urllib.parse.urlsplit(running.fast.get_web_url())
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        started = time.monotonic()
        conn.request("GET", url.path + "/events")
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("content-type") == "text/event-stream"
        assert link.ct.direct == 1 and link.ct.idle_since is None and web_calls(cluster) == []
        first = response.readline()
        first_at = time.monotonic() - started
        assert first == b"data: 0\n" and response.read() == b"\ndata: 1\n\ndata: 2\n\n"
        assert first_at < time.monotonic() - started - 0.7   # the first event came a second before the end
    finally:
        conn.close()
    cluster.wait_for(lambda d: link.ct.direct == 0 and link.ct.idle_since is not None and not link.requests)
    assert web_calls(cluster) == []


def test_many_requests_at_once_are_answered_right_on_links_and_as_inputs(running, cluster):
    linked(cluster, running.fast)
    with counting_inputs(cluster) as inputs, concurrent.futures.ThreadPoolExecutor(12) as pool:
        got = list(pool.map(lambda i: fetch(f"{running.fast.get_web_url()}/nap?i={i}"), range(12)))
    assert [json.loads(body)["query"] for _, _, body in got] == [f"i={i}" for i in range(12)]
    assert {status for status, _, _ in got} == {200}
    assert 0 < inputs.made <= 8   # its container took 4 on its link; past its room they queued


def test_a_body_streams_to_the_container_on_its_link(running, cluster):
    link = linked(cluster, running.fast)
    body = os.urandom(5 * 1024 * 1024 + 7)   # past the first piece: the rest is sent as credits ask
    status, _, answer = fetch(running.fast.get_web_url() + "/count", data=body, method="POST")
    assert status == 200 and json.loads(answer)["sha256"] == hashlib.sha256(body).hexdigest()
    assert json.loads(answer)["bytes"] == len(body) and link.ct.direct == 0 and web_calls(cluster) == []


def test_a_wsgi_app_on_its_link(running, cluster):
    linked(cluster, running.site)
    status, _, body = fetch(running.site.get_web_url() + "/a/b", data=b"payload", method="PUT")
    assert (status, body) == (200, b"PUT /a/b payload") and web_calls(cluster) == []


def test_a_crash_is_a_502_naming_it_and_a_timeout_a_504(running, cluster):
    linked(cluster, running.fast)
    status, _, body = fetch(running.fast.get_web_url() + "/crash")
    assert status == 502 and b"RuntimeError: the app broke on purpose" in body
    link = linked(cluster, running.brief)   # timeout=1
    started = time.monotonic()
    status, _, body = fetch(running.brief.get_web_url() + "/slow")
    assert status == 504 and b"ran past its timeout of 1 s" in body and time.monotonic() - started < 10
    cluster.wait_for(lambda d: link.ct.direct == 0)
    assert fetch(running.brief.get_web_url() + "/after")[0] == 200   # its container took the next one
    stats = cluster.server.dispatcher.metrics._by_function[link.ct.function.function_id]
    # counted as its inputs are: the first request (an input, which started the container) and the last
    assert stats.finished[OutputStatus.TIMEOUT] == 1 and stats.finished[OutputStatus.GENERATOR_DONE] == 2


def test_a_client_that_leaves_cancels_its_request(running, cluster):
    link = linked(cluster, running.fast)
    before = cluster.server.dispatcher.metrics._by_function[link.ct.function.function_id].finished[OutputStatus.CANCELLED]
    with pytest.raises(OSError):   # a timeout: the client goes away
        fetch(running.fast.get_web_url() + "/slow", timeout=1)
    cluster.wait_for(lambda d: link.ct.direct == 0 and not link.requests)
    stats = cluster.server.dispatcher.metrics._by_function[link.ct.function.function_id]
    assert stats.finished[OutputStatus.CANCELLED] == before + 1


def test_an_answer_its_client_does_not_read_pauses_its_link_past_the_high_water_mark(running, cluster):
    from leveret.server.web_links import HIGH_WATER

    linked(cluster, running.fast)
    links = cluster.server.dispatcher.web_links.by_function

    def paused(d) -> list:
        return [each for each in links.get(running.fast.object_id, {}).values() if each.paused_by is not None]

    url = urllib.parse.urlsplit(running.fast.get_web_url())
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    conn.sock = socket.socket()
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)   # (else loopback's may take all 32 MiB)
    conn.sock.connect((url.hostname, url.port))
    try:
        conn.request("GET", url.path + "/flood")
        response = conn.getresponse()   # its head; the body is not read for now
        cluster.wait_for(paused, timeout=20)
        (link,) = paused(None)
        time.sleep(0.5)
        held = link.paused_by._held
        assert HIGH_WATER < held <= HIGH_WATER + (1 << 20)   # what came before the pause took effect, no more
        assert len(response.read()) == 32 << 20   # then all of it, and the link reads again
    finally:
        conn.close()
    cluster.wait_for(lambda d: link.paused_by is None and not link.requests)


def test_a_link_that_ends_fails_what_ran_on_it_and_requests_go_as_inputs(running, cluster, monkeypatch):
    """(Last: the function's containers keep no link after it.)"""
    linked(cluster, running.fast)
    links = cluster.server.dispatcher.web_links
    monkeypatch.setattr(links, "attach", lambda container_id, transport: None)   # no container gets a new one

    def running_on(d):
        return [each for each in links.by_function.get(running.fast.object_id, {}).values() if each.requests]

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        slow = pool.submit(fetch, running.fast.get_web_url() + "/slow")
        cluster.wait_for(running_on)
        (link,) = running_on(None)

        async def close():
            for each in list(links.by_function.get(running.fast.object_id, {}).values()):
                each.close()

        run_sync(close())
        status, _, body = slow.result(timeout=30)
    assert status == 502 and b"its container ended while answering" in body
    assert link.ct.direct == 0 and link.ct.container_id in cluster.server.dispatcher.containers
    with counting_inputs(cluster) as inputs:
        status, _, body = fetch(running.fast.get_web_url() + "/x?q=1")   # as an input
    assert status == 200 and json.loads(body)["query"] == "q=1" and inputs.made == 1
