"""GPU placement: a worker offering GPUs (as `leveret worker --gpus 2 --gpu-type T4` does), functions
asking for a type and count; each container sees only the GPUs it got."""

import pytest

import leveret
from apps import orchestration as o
from leveret.testing import Cluster


def test_containers_get_the_gpus_they_ask_for_and_a_missing_type_fails_at_once(tmp_path):
    with Cluster(tmp_path, gpus=2, gpu_type="T4") as cluster:
        with o.gpu_app.run(show_logs=False):
            assert o.one_gpu.remote() in ("0", "1")
            assert o.two_gpus.remote() == "0,1"   # a placement waits for both to be free
            with pytest.raises(leveret.ExecutionError, match="cannot be placed: 1 node\\(s\\): node has no GPU of the type asked for"):
                o.wrong_type.remote()
            assert o.falls_back.remote() in ("0", "1")
            with pytest.raises(leveret.ExecutionError, match="H100!: cannot be placed: 1 node\\(s\\): node has no GPU of"
                               " the type asked for; L4: cannot be placed: 1 node.*the cluster's GPUs: 2 T4$"):
                o.no_type_there.remote()
            (worker,) = cluster.workers()
            assert worker.gpus == 2 and worker.gpu_type == "T4"
