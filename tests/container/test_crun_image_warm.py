"""A function on an image of its own, scaled to zero, starts again on a warm container of that
image that imported what its last container had (worker/agent.py's image warm pool), in crun."""

import time

import pytest
from crun import crun_cluster_running

from apps import image_warm

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun_cluster(tmp_path_factory):
    yield from crun_cluster_running(tmp_path_factory, "crun-image-warm", image_warm.app, warm_containers=1)


def test_a_scaled_to_zero_function_starts_on_a_warm_container_with_its_imports(crun_cluster):
    first = image_warm.imports.remote()
    assert first["before"] is False   # its first container: nothing imported ahead
    worker = crun_cluster.agent
    deadline = time.time() + 60
    while not any(t.warm_image and t.writer is not None for t in worker.pool):   # scaled to zero: a warm one
        assert time.time() < deadline, "no warm container on the function's image"
        time.sleep(0.1)
    assert first["container"] not in {t.container_id for t in worker.tasks.values()}
    second = image_warm.imports.remote()
    assert second["before"] is True and second["container"] != first["container"]
    assert not any(t.warm_image for t in worker.pool)   # the warm one became the function's
