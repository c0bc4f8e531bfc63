"""Cancelling a call whose input runs in a real crun container: its code is interrupted there (the
signal reaches the bootstrap inside the container's pid namespace), and the container serves on."""

import pytest
from crun import crun_cluster_running

import leveret
from leveret.server.store import Store
from apps import cancelling

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    yield from crun_cluster_running(tmp_path_factory, "crun-cancel", cancelling.app)


def _line(cluster, text: str) -> tuple:
    rows = cluster.wait_stored(lambda rows: any(r[7] == text for r in rows), Store.get_logs, cancelling.app.app_id,
                               timeout=60)
    return next(r for r in rows if r[7] == text)


def test_a_running_input_is_interrupted_in_crun_and_its_container_serves_on(crun_cluster):
    call = cancelling.loops.spawn(120)
    started = _line(crun_cluster, "loops started")
    call.cancel()
    with pytest.raises(leveret.exception.InputCancellation):
        call.get(timeout=30)
    seen = _line(crun_cluster, "loops saw InputCancellation")
    assert (seen[3], seen[4]) == (started[3], started[4])
    crun_cluster.wait_for(lambda d: crun_cluster.function("cancelling", "loops").running == 0, timeout=30)
    assert cancelling.loops.remote(0) == started[3]
