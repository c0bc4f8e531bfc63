"""Bad input in real containers (crun): a process that double-forks out of its input lives only as
long as its container, and a function that ignores SIGTERM is killed at its timeout. Each time the
next input runs."""

import os
import time
import uuid

import pytest

import leveret
from apps import bad_input
from e2e.procs import processes_named
from leveret.testing import Cluster

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("container tests need root (CI runs as root): run the suite as root")
    with Cluster(tmp_path_factory.mktemp("crun-bad-input"), runtime="crun") as c:
        yield c


def test_a_double_forked_daemon_is_killed_with_its_container(crun_cluster):
    marker = f"daemon-{uuid.uuid4().hex}"
    with bad_input.app.run(show_logs=False):
        first = bad_input.daemonize.remote(marker)
        assert len(processes_named(marker)) == 1   # it outlived its input, in its container
        assert bad_input.daemonize.remote(marker + "-2") == first   # the same container serves the next
    deadline = time.monotonic() + 30
    while processes_named(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_named(marker) == [] and processes_named(marker + "-2") == []


def test_a_function_ignoring_sigterm_is_killed_at_its_timeout_and_the_next_input_runs(crun_cluster):
    with bad_input.app.run(show_logs=False):
        started = time.monotonic()
        with pytest.raises(leveret.exception.FunctionTimeoutError, match="ran past its timeout of 2 s"):
            bad_input.ignore_sigterm.remote(60)
        assert time.monotonic() - started < 30
        assert bad_input.ignore_sigterm.remote(0.01) > 0
