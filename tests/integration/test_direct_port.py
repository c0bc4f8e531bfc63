"""The direct port (_wire/direct.py, server/api/direct.py): a client's plain Dict calls go there, not
by gRPC; a broken connection falls back to gRPC; the port checks the token and the method, and
closes a connection that does not speak its protocol."""

import asyncio
import secrets
import socket
import struct

import pytest

import leveret
from leveret import _client
from leveret._shared.aio import run_sync
from leveret._wire import api_pb2 as pb
from leveret._wire.direct import DirectClient


@pytest.fixture
def d(cluster):
    name = "direct-" + secrets.token_hex(4)
    yield leveret.Dict.from_name(name, create_if_missing=True)
    leveret.Dict.objects.delete(name, allow_missing=True)


def process_client():
    return run_sync(_client.Client.get())


def test_plain_calls_go_on_the_direct_port_and_aio_ones_by_grpc(d, cluster, monkeypatch):
    d.put("k", [1, 2])   # the first call hydrates the Dict (by gRPC) and asks for the port
    client = process_client()
    assert client.direct is not None
    assert client.direct.address == "\0" + cluster.server.direct.local_socket   # this host's: its unix socket

    async def no_grpc(method, fields):
        raise AssertionError(f"{method} went by gRPC")

    monkeypatch.setattr(client, "object_call", no_grpc)
    assert d.get("k") == [1, 2] and d.put("k2", "v") is True and len(d) == 2 and d.pop("k2") == "v"
    assert dict(d.items()) == {"k": [1, 2]}
    with pytest.raises(AssertionError, match="DictGet went by gRPC"):
        asyncio.run(d.get.aio("k"))


def test_a_broken_direct_connection_falls_back_to_grpc(d, monkeypatch):
    d.put("k", "v")
    client = process_client()
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]   # nothing listens there once closed
    monkeypatch.setattr(client, "direct", DirectClient(("127.0.0.1", port), client.token, client.url))
    assert d.get("k") == "v"
    assert client.direct is None   # the next calls go by gRPC


def test_the_port_checks_the_token_and_the_method(d, cluster):   # on its TCP port
    d.put("k", "v")
    port = cluster.server.direct.port
    with pytest.raises(leveret.exception.AuthError, match="missing or wrong token"):
        DirectClient(("127.0.0.1", port), "not-the-token", "test").call("DictLen", pb.DictLenRequest(dict_id=d.object_id))
    worker_token = run_sync(cluster.server.tokens.create("direct-test"))[1]
    with pytest.raises(leveret.exception.AuthError):
        DirectClient(("127.0.0.1", port), worker_token, "test").call("DictLen", pb.DictLenRequest(dict_id=d.object_id))
    container = DirectClient(("127.0.0.1", port), cluster.server.tokens.container_token("ct-direct"), "test")
    assert container.call("DictLen", pb.DictLenRequest(dict_id=d.object_id)).len == 1
    admin = DirectClient(("127.0.0.1", port), cluster.token, "test")
    with pytest.raises(leveret.exception.Error, match="ObjectList is not served on the direct port"):
        admin.call("ObjectList", pb.ObjectListRequest())
    with pytest.raises(leveret.exception.NotFoundError, match="no Dict with id"):
        admin.call("DictLen", pb.DictLenRequest(dict_id="di-gone"))
    for c in (container, admin):
        c.close()


def test_a_connection_not_speaking_the_protocol_is_closed(cluster):
    with socket.create_connection(("127.0.0.1", cluster.server.direct.port), timeout=10) as sock:
        sock.sendall(struct.pack(">I", 0xFFFFFFF0) + b"GET / HTTP/1.1\r\n")
        assert sock.recv(100) == b""


def test_a_worker_relays_to_the_tcp_port_where_the_unix_socket_is_not_its_hosts(cluster):
    from leveret._shared.direct_frames import parse_reply, request_frame
    from leveret.worker.direct_relay import _open

    async def ask(address):
        replies = asyncio.Queue()
        transport = await _open(address, cluster.server.tokens.container_token("ct-relay"), replies.put_nowait)
        try:
            transport.write(request_frame(7, "DictLen", pb.DictLenRequest(dict_id="di-none").SerializeToString()))
            req_id, status, reply = parse_reply(await asyncio.wait_for(replies.get(), 10))
            assert req_id == 7
            return status, reply
        finally:
            transport.close()

    for address in (("127.0.0.1", cluster.server.direct.port), "\0" + cluster.server.direct.local_socket):
        status, reply = run_sync(ask(address))
        assert status == 5 and b"no Dict with id 'di-none'" in reply   # NOT_FOUND, from the server
    with pytest.raises(OSError):
        run_sync(ask("\0leveret-direct-nobody"))


def test_a_forked_child_makes_its_own_connection(d):
    import os

    d.update(p="parent", c="child")
    direct = process_client().direct
    assert d.get("p") == "parent" and direct is not None   # this thread's connection is open
    pid = os.fork()
    if pid == 0:   # the child: on a connection of its own, not reading the parent's replies
        try:
            ok = all(d.get("c") == "child" for _ in range(300)) and direct._local.conn.pid == os.getpid()
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    try:
        assert all(d.get("p") == "parent" for _ in range(300))
    finally:
        assert os.waitpid(pid, 0)[1] == 0


def test_an_interrupted_blocking_get_leaves_no_reply_behind(cluster):
    import signal

    class Interrupted(Exception):
        pass

    def interrupt(signum, frame):
        raise Interrupted()

    with leveret.Queue.ephemeral() as q:
        q.put("first")
        assert q.get() == "first" and process_client().direct is not None   # plain calls on the direct port
        old = signal.signal(signal.SIGALRM, interrupt)
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            with pytest.raises(Interrupted):
                q.get(timeout=30)   # blocked on the server
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        cluster.wait_for(lambda d: d.queue_waiters.waiting() == 0, timeout=10)   # its connection closed: no get waits
        q.put("second")
        assert q.get(timeout=10) == "second"   # not the interrupted get's reply, nor taken by its waiter
        assert q.len() == 0


def test_the_relay_passes_frames_both_ways_refuses_other_methods_and_ends_with_the_server(cluster):
    """worker/direct_relay.serve between a container's socket and a server: the real one, then one
    that closes the connection after the hello."""
    import json
    import types

    from leveret._shared.direct_frames import frames_from, parse_reply, reply_frame, request_frame
    from leveret.worker import direct_relay

    calls = types.SimpleNamespace(direct_methods=frozenset({"DictLen"}), direct_schema={"x": {}})
    container_token = cluster.server.tokens.container_token("ct-serve")

    def task(address):
        return types.SimpleNamespace(
            agent=types.SimpleNamespace(direct_addresses=[address]), container_id="ct-serve", calls=lambda: calls,
            a=types.SimpleNamespace(token=container_token, definition=types.SimpleNamespace(cpu=0.25)))

    async def relay(address, requests):
        """What the container reads: the opening answer, then a reply to each request."""
        mine, workers = socket.socketpair()
        reader, writer = await asyncio.open_unix_connection(sock=workers)
        served = asyncio.ensure_future(direct_relay.serve(task(address), reader, writer))
        c_reader, c_writer = await asyncio.open_unix_connection(sock=mine)
        got = []
        frames = aiter(frames_from(c_reader))
        got.append(parse_reply(await asyncio.wait_for(anext(frames), 10)))
        for i, (method, payload) in enumerate(requests, 1):
            c_writer.write(request_frame(i, method, payload))
            got.append(parse_reply(await asyncio.wait_for(anext(frames), 10)))
        c_writer.close()
        await asyncio.wait_for(served, 10)
        writer.close()   # as the worker does once serve returns
        return got

    got = run_sync(relay("\0" + cluster.server.direct.local_socket,
                         [("DictLen", pb.DictLenRequest(dict_id="di-none").SerializeToString()), ("ObjectList", b"")]))
    assert got[0][:2] == (0, 0) and json.loads(got[0][2]) == {"schema": {"x": {}}, "spin": False}   # cpu=0.25: no polling
    assert got[1][:2] == (1, 5) and b"no Dict with id 'di-none'" in got[1][2]   # NOT_FOUND, from the server
    assert got[2] == (2, 7, b"ObjectList is not a request a container makes on its direct connection")

    async def closing_server():
        async def one(reader, writer):
            await anext(aiter(frames_from(reader)))   # the hello
            writer.write(reply_frame(0, 0, b""))
            await anext(aiter(frames_from(reader)))   # a request: then it goes away
            writer.close()
        server = await asyncio.start_server(one, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        mine, workers = socket.socketpair()
        reader, writer = await asyncio.open_unix_connection(sock=workers)
        served = asyncio.ensure_future(direct_relay.serve(task(("127.0.0.1", port)), reader, writer))
        c_reader, c_writer = await asyncio.open_unix_connection(sock=mine)
        frames = aiter(frames_from(c_reader))
        await asyncio.wait_for(anext(frames), 10)   # opened
        c_writer.write(request_frame(1, "DictLen", b""))
        ended = await asyncio.wait_for(anext(frames, None), 10)   # no reply: the connection ends
        await asyncio.wait_for(served, 10)
        writer.close()
        c_writer.close()
        server.close()
        return ended

    assert run_sync(closing_server()) is None
