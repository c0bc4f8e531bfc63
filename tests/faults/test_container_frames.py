"""A container speaks to its worker in frames (leveret/container/protocol.py) that the worker reads
as data, never as code. One that sends what is not a frame — garbage, a pickle, a message only a
worker sends — or that speaks another version of the protocol ends, saying why; its worker and the
other containers serve on. Driven through the fake runtime with a scripted bootstrap."""

import pickle
import struct

import pytest

import leveret
from apps import ends
from leveret.container import protocol as P
from leveret.testing import Cluster
from leveret.testing.scripted import Raw, ScriptedBootstrap
from leveret.worker.runtime.fake import FakeRuntime

BAD = {
    3: (P.HEADER.pack(3, 99) + b"abc", "unknown frame kind 99"),
    13: (P.HEADER.pack(4, P.Outputs.KIND) + struct.pack("=II", 2**31, 0), "malformed Outputs frame"),
    23: (struct.pack("!I", 9) + pickle.dumps(("outputs",), protocol=4)[:9], "a pickled frame"),
    33: (P.encode(P.Inputs(["in-x"], [0], [b""])), "it sent Inputs, which only a worker sends"),
    43: (P.encode(P.Log(1, "fine", "")) + P.HEADER.pack(P.MAX_FRAME + 1, P.Log.KIND), "exceeds the 1073741824 byte limit"),
}


def behave(x):
    return Raw(BAD[x][0]) if x in BAD else x * 2


def test_a_container_that_sends_what_is_not_a_frame_fails_its_input_saying_why_and_the_worker_serves_on(tmp_path):
    with Cluster(tmp_path, runtime=FakeRuntime(script=ScriptedBootstrap(behave))) as cluster:
        with ends.app.run(show_logs=False):
            results = list(ends.scripted.map(range(50), return_exceptions=True))
            for x, r in enumerate(results):
                if x in BAD:
                    assert isinstance(r, leveret.ExecutionError), (x, r)
                    assert "container sent a frame its worker cannot read" in str(r) and BAD[x][1] in str(r), (x, r)
                else:
                    assert r == x * 2
            assert not cluster._agent_task.done()   # the worker serves on
            assert list(ends.scripted.map([0, 1, 2])) == [0, 2, 4]


def test_a_container_of_another_protocol_version_fails_to_start_naming_both(tmp_path):
    runtime = FakeRuntime(script=ScriptedBootstrap(behave, version=P.VERSION + 1))
    with Cluster(tmp_path, runtime=runtime):
        with ends.app.run(show_logs=False):
            with pytest.raises(leveret.ExecutionError,
                               match=f"protocol version {P.VERSION + 1} and its worker {P.VERSION}"):
                ends.scripted.remote(1)
