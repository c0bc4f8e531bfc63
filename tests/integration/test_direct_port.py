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


def test_a_worker_connects_to_the_tcp_port_where_the_unix_socket_is_not_its_hosts(cluster):
    from leveret._shared.direct_frames import parse_reply, read_frame, request_frame
    from leveret.worker.direct_handover import _open

    def ask(address):
        sock = run_sync(_open(address, cluster.server.tokens.container_token("ct-relay")))
        with sock:   # blocking, as the container's SDK uses it
            sock.sendall(request_frame(7, "DictLen", pb.DictLenRequest(dict_id="di-none").SerializeToString()))
            req_id, status, reply = parse_reply(read_frame(sock))
            assert req_id == 7
            return status, reply

    for address in (("127.0.0.1", cluster.server.direct.port), "\0" + cluster.server.direct.local_socket):
        status, reply = ask(address)
        assert status == 5 and b"no Dict with id 'di-none'" in reply   # NOT_FOUND, from the server
    with pytest.raises(OSError):
        ask("\0leveret-direct-nobody")


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


def test_the_worker_hands_the_container_a_connection_to_the_server_made_with_its_token(cluster):
    """worker/direct_handover.serve on a container's socket: the answer comes with a connection on
    which the container calls the server as that container; without a server, no answer."""
    import json
    import types

    from leveret._shared.direct_frames import parse_reply, read_frame, request_frame, take_frames
    from leveret.worker import direct_handover

    calls = types.SimpleNamespace(direct_schema={"x": {}})
    container_token = cluster.server.tokens.container_token("ct-serve")

    def task(addresses):
        return types.SimpleNamespace(
            agent=types.SimpleNamespace(direct_addresses=addresses), container_id="ct-serve", calls=lambda: calls,
            a=types.SimpleNamespace(token=container_token, definition=types.SimpleNamespace(cpu=0.25)))

    async def open_direct(addresses):
        """What the container receives: (the answer's bytes, the descriptors with it)."""
        mine, workers = socket.socketpair()
        reader, writer = await asyncio.open_unix_connection(sock=workers)
        await asyncio.wait_for(direct_handover.serve(task(addresses), reader, writer), 10)
        writer.close()   # as the worker does once serve returns
        with mine:
            got = await asyncio.get_running_loop().run_in_executor(None, lambda: socket.recv_fds(mine, 1 << 16, 1))
        return got[0], got[1]

    answer, fds = run_sync(open_direct(["\0leveret-direct-nobody", "\0" + cluster.server.direct.local_socket]))
    (body,) = take_frames(bytearray(answer))
    assert len(fds) == 1 and parse_reply(body)[:2] == (0, 0)
    assert json.loads(parse_reply(body)[2]) == {"schema": {"x": {}}, "spin": False}   # cpu=0.25: no polling
    with socket.socket(fileno=fds[0]) as server:   # the container's own, to the server
        server.sendall(request_frame(1, "DictLen", pb.DictLenRequest(dict_id="di-none").SerializeToString()))
        req_id, status, reply = parse_reply(read_frame(server))
        assert (req_id, status) == (1, 5) and b"no Dict with id 'di-none'" in reply   # NOT_FOUND: it is the server
        server.sendall(request_frame(2, "ObjectDelete", b""))
        assert parse_reply(read_frame(server))[:2] == (2, 12)   # UNIMPLEMENTED: only the direct port's methods

    assert run_sync(open_direct(["\0leveret-direct-nobody"])) == (b"", [])   # closed without an answer
