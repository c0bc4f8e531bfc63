"""_shared/direct_frames.py's blocking client side: polling for a reply before sleeping, and what
sets it."""

import socket
import threading
import time

import pytest

from leveret._shared import direct_frames as F


def test_the_poll_is_set_in_microseconds_and_a_wrong_value_names_the_fix(monkeypatch):
    monkeypatch.setattr(F.os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setenv("LEVERET_DIRECT_SPIN_US", "150")
    assert F._spin_s() == pytest.approx(150e-6)
    monkeypatch.setenv("LEVERET_DIRECT_SPIN_US", "0")
    assert F._spin_s() == 0
    monkeypatch.setenv("LEVERET_DIRECT_SPIN_US", "fast")
    with pytest.raises(ValueError, match="LEVERET_DIRECT_SPIN_US is a whole number of microseconds"):
        F._spin_s()
    monkeypatch.setenv("LEVERET_DIRECT_SPIN_US", "150")
    monkeypatch.setattr(F.os, "sched_getaffinity", lambda pid: {0})
    assert F._spin_s() == 0   # one core: the other end needs it


@pytest.mark.parametrize("spin_s", [0.0, 0.0002])
def test_a_reply_that_comes_after_the_poll_or_during_it_is_read_whole(spin_s):
    mine, theirs = socket.socketpair()
    conn = F._Conn(mine, spin_s)
    body = F.reply_frame(3, F.OK, b"x" * 300_000)   # more than one chunk

    def answer():
        time.sleep(0.05)   # past the poll: read asleep
        theirs.sendall(body[:10])
        theirs.sendall(body[10:])
        theirs.sendall(F.reply_frame(4, F.OK, b"soon"))   # while awake, maybe in the same recv: kept for the next read

    t = threading.Thread(target=answer)
    t.start()
    try:
        assert F.parse_reply(conn.read()) == (3, F.OK, b"x" * 300_000)
        assert F.parse_reply(conn.read()) == (4, F.OK, b"soon")
        theirs.shutdown(socket.SHUT_WR)
        with pytest.raises(F.Lost):
            conn.read()
    finally:
        t.join()
        conn.close()
        theirs.close()
