"""GPU placement: a worker offering GPUs (as `leveret worker --gpus 2 --gpu-type T4` does), functions
asking for a type and count; each container sees only the GPUs it got."""

import os
import subprocess
import sys

import pytest

import leveret
from apps import orchestration as o
from leveret.testing import Cluster
from leveret.testing.nvml import FakeNvml
from leveret.worker import gpus


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


def test_a_worker_reports_what_nvml_finds_and_leveret_workers_shows_it(tmp_path):
    inventory = gpus.discover(FakeNvml([{"model": "NVIDIA H100 80GB HBM3", "memory_mb": 81559}] * 2
                                       + [{"model": "NVIDIA H100 80GB HBM3", "memory_mb": 81559, "mig": True}]))
    with Cluster(tmp_path, gpus=inventory) as cluster:
        (worker,) = cluster.workers()
        assert (worker.gpus, worker.gpu_type) == (2, "H100")   # the one in MIG mode is not offered whole
        info = cluster.dispatcher.workers[worker.worker_id].info
        assert [(g.index, g.model, g.memory_mb, g.mig) for g in info.gpu_devices] == [
            (i, "NVIDIA H100 80GB HBM3", 81559, i == 2) for i in range(3)]
        assert (info.gpu_driver, info.cuda_version) == ("550.54.15", "12.4")
        with o.gpu_app.run(show_logs=False):
            held = o.holds_gpu.spawn(3)
            cluster.wait_for(lambda d: cluster.workers()[0].gpus_reserved == 1)
            out = subprocess.run([sys.executable, "-m", "leveret.cli", "workers"], capture_output=True, text=True,
                                 timeout=60, env=os.environ)
            assert "gpus 1/2 H100 79 GiB (driver 550.54.15, CUDA 12.4, 1 in MIG mode)" in out.stdout, out
            assert held.get(timeout=30) in ("0", "1")
