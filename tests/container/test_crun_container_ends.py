"""The worker survives every way a real container can end under a .map (crun, overlayfs, cgroups):
a segfault, os.abort, inputs past their timeout, the memory limit's kill. The caller sees each
input's own error, each failed input ran once (no retries=), and the worker serves on."""

import os

import pytest

import leveret
from apps import ends
from leveret.server.store import Store
from leveret.testing import Cluster

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("container tests need root (CI runs as root): run the suite as root")
    with Cluster(tmp_path_factory.mktemp("crun-ends"), runtime="crun") as c:
        with ends.app.run(show_logs=False):
            yield c


def check(results, bad, error, text):
    for x, r in enumerate(results):
        if bad(x):
            assert isinstance(r, error) and text in str(r), (x, r)
        else:
            assert r == x * 2, (x, r)


def test_a_map_whose_containers_segfault(crun_cluster):
    results = list(ends.segfaults_on_3.map(range(40), return_exceptions=True))
    check(results, lambda x: x % 10 == 3, leveret.ExecutionError, "killed by SIGSEGV while running this input")
    assert not crun_cluster._agent_task.done()


def test_a_map_whose_containers_abort(crun_cluster):
    results = list(ends.aborts_on_7.map(range(40), return_exceptions=True))
    check(results, lambda x: x % 10 == 7, leveret.ExecutionError, "killed by SIGABRT while running this input")
    assert not crun_cluster._agent_task.done()


def test_a_map_where_a_third_of_the_inputs_overrun_their_timeout(crun_cluster):
    results = list(ends.overruns_on_multiples_of_3.map(range(30), return_exceptions=True))
    check(results, lambda x: x % 3 == 0, leveret.FunctionTimeoutError, "past its timeout of 1 s")
    assert not crun_cluster._agent_task.done()


def test_a_map_whose_containers_run_out_of_memory(crun_cluster):
    results = list(ends.eats_memory_on_5.map(range(20), return_exceptions=True))
    check(results, lambda x: x % 10 == 5, leveret.OutOfMemoryError, "memory=128 MiB")
    assert not crun_cluster._agent_task.done()
    assert ends.segfaults_on_3.remote(1) == 2   # and it still serves


def test_an_out_of_memory_kill_uses_a_retry(crun_cluster):
    from apps import attempts

    marker = "/nowhere/oom-retry"   # counted in the logs: the test's files are not in the container
    with attempts.app.run(show_logs=False):
        with pytest.raises(leveret.OutOfMemoryError):
            attempts.eats_memory.remote(marker)
        app_id = attempts.app.app_id
        # retries=1: two attempts (a second end under the same input would fail it anyway)
        def runs(rows):
            return sum(f"running for {marker}" in r[-1] for r in rows)

        crun_cluster.wait_stored(lambda rows: runs(rows) >= 2, Store.get_logs, app_id)
        assert runs(crun_cluster.stored(Store.get_logs, app_id)) == 2
