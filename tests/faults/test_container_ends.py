"""Finding: a .map whose containers crash (a segfault, os.abort, inputs past their timeout) ended
the worker — inputs written to a container whose socket had closed raised in the worker, and again
in its shutdown — and the client waited forever. Now the worker survives any container's end at any
moment, and the caller sees each input's own error. Driven here through the recording fake runtime
with a scripted bootstrap (every way to end, at any moment, fast); the real crun containers are in
tests/container/test_crun_container_ends.py."""

import collections
import signal

import pytest

import leveret
from apps import ends
from leveret.testing import Cluster
from leveret.testing.scripted import HANG, End, ScriptedBootstrap
from leveret.worker.runtime.fake import FakeRuntime

ran = collections.Counter()


def behave(x):
    ran[x] += 1
    kind = x % 10
    if kind == 3:   # a segfault: its socket closes first, inputs keep arriving for a moment
        return End(-signal.SIGSEGV, linger=0.05)
    if kind == 7:
        return End(-signal.SIGKILL, oom=True)
    if kind == 5:   # past its timeout (0.5 s)
        return HANG
    if kind == 9:   # exits by itself, at once
        return End(1)
    return x * 2


@pytest.fixture
def scripted_cluster(tmp_path):
    ran.clear()
    runtime = FakeRuntime(script=ScriptedBootstrap(behave))
    with Cluster(tmp_path, runtime=runtime) as c:
        yield c


def expected_error(x):
    return {3: (leveret.ExecutionError, "killed by SIGSEGV while running this input"),
            7: (leveret.OutOfMemoryError, "ran out of memory"),
            5: (leveret.FunctionTimeoutError, "past its timeout"),
            9: (leveret.ExecutionError, "exited with code 1 while running this input")}.get(x % 10)


def test_a_map_of_200_whose_containers_end_every_way_returns_each_input_s_own_outcome(scripted_cluster):
    with ends.app.run(show_logs=False):
        results = list(ends.scripted.map(range(200), return_exceptions=True))
        for x, r in enumerate(results):
            want = expected_error(x)
            if want is None:
                assert r == x * 2
            else:
                assert isinstance(r, want[0]) and want[1] in str(r), (x, r)
                assert ran[x] == 1, (x, ran[x])   # no retries=: the attempt that ended it was its only one
        assert not scripted_cluster._agent_task.done()   # the worker serves on
        assert list(ends.scripted.map([0, 1, 2])) == [0, 2, 4]
