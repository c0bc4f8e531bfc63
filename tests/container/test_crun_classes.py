"""@app.cls in real crun containers on the default image: parameters, @enter, methods, @exit."""

import pytest
from crun import crun_cluster_running

from apps import classes
from leveret.server.store import Store

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    yield from crun_cluster_running(tmp_path_factory, "crun-classes", classes.app)


def test_a_class_in_crun(crun_cluster):
    c = classes.Counter(start=7, label="crun")
    assert c.add.remote(1) == 8
    assert c.state.remote()["loaded"] == "crun:7"
    assert list(c.upto.remote_gen(2)) == [7, 8]
    assert classes.uses_class.remote(1) == 101 + 1


def test_exit_runs_in_crun_when_the_container_scales_down(crun_cluster):
    assert classes.Closes().ping.remote() == "pong"
    crun_cluster.wait_stored(lambda lines: any("EXIT RAN in the container" in line[7] for line in lines),
                             Store.get_logs, classes.app.app_id, timeout=20)
