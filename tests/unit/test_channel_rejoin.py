"""The container's channel when its worker goes away (container/channel.py): with a rejoin time it
connects again to the same socket path, says Rejoin with the inputs it holds, and what was being
sent goes whole on the new connection; without one, or after a Stop, the socket's end is its end."""

import os
import socket
import threading

import pytest

from leveret.container import protocol as P
from leveret.container.channel import Channel


def listen(path: str) -> socket.socket:
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    return s


def connected(path: str, rejoin_s: float) -> tuple[Channel, socket.socket, socket.socket]:
    listener = listen(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    worker, _ = listener.accept()
    return Channel(sock, path, rejoin_s), worker, listener


def test_a_channel_connects_again_to_the_worker_that_takes_its_place_and_says_what_it_holds(tmp_path):
    path = str(tmp_path / "sock")
    channel, worker, listener = connected(path, 10.0)
    worker.sendall(P.encode(P.Inputs(["in-1", "in-2"], [1, 3], [b"a", b"b"], ["fc-1", "fc-1"])))
    assert isinstance(channel.recv(), P.Inputs)
    channel.send(P.Outputs(["in-1"], [1], [P.STATUS_SUCCESS], [b"r"], [0], [""]))
    worker.close()           # the worker is killed
    listener.close()

    accepted = {}

    def next_worker():       # a worker restarted on the same path, a moment later
        new = listen(path)
        accepted["sock"], _ = new.accept()
        new.close()

    thread = threading.Thread(target=next_worker)
    thread.start()
    channel.send(P.Log(1, "after", "in-2"))   # meets the end, connects again, sends it whole
    thread.join(10)
    new = accepted["sock"]
    assert P.recv_message(new) == P.Rejoin({"in-2": "3"})   # in-1 finished: only in-2 is held
    assert P.recv_message(new) == P.Log(1, "after", "in-2")
    new.sendall(P.encode(P.Stop()))
    assert isinstance(channel.recv(), P.Stop)
    new.close()
    channel.close()


def test_without_a_rejoin_time_or_after_a_stop_the_sockets_end_is_the_channels(tmp_path):
    channel, worker, listener = connected(str(tmp_path / "a"), 0.0)
    worker.close()
    with pytest.raises(EOFError):
        channel.recv()
    channel.close()
    listener.close()
    channel, worker, listener = connected(str(tmp_path / "b"), 10.0)
    worker.sendall(P.encode(P.Stop()))
    assert isinstance(channel.recv(), P.Stop)
    worker.close()
    with pytest.raises(EOFError):
        channel.recv()
    channel.close()
    listener.close()


def test_a_channel_whose_worker_does_not_come_back_in_time_ends(tmp_path):
    channel, worker, listener = connected(str(tmp_path / "sock"), 0.3)
    worker.close()
    listener.close()
    with pytest.raises(EOFError):
        channel.recv()
    channel.close()
