"""GPUs into crun containers by CDI, on a host without one: a fake NVML inventory of two T4s, their
device nodes made by the test (character devices with /dev/zero's numbers), and a CDI spec the test
writes as `nvidia-ctk cdi generate` would, with a driver library, an environment and a hook. Each
container sees its own GPU's node and the control node, never the other GPU's."""

import concurrent.futures
import json
import os
import secrets
import stat

import pytest

from apps import gpu_devices
from leveret.testing import Cluster
from leveret.testing.nvml import FakeNvml
from leveret.worker import gpus

pytestmark = pytest.mark.container

T4 = {"model": "Tesla T4", "memory_mb": 15360}


def _cdi(tmp_path) -> str:
    for name in ("gpu0", "gpu1", "ctl"):
        os.mknod(tmp_path / name, 0o666 | stat.S_IFCHR, os.makedev(1, 5))
    (tmp_path / "libcuda.so.fake").write_text("the driver's library")
    spec = {
        "cdiVersion": "0.5.0", "kind": "nvidia.com/gpu",
        "devices": [{"name": str(i), "containerEdits": {
            "deviceNodes": [{"path": f"/dev/nvidia{i}", "hostPath": str(tmp_path / f"gpu{i}")}]}} for i in (0, 1)],
        "containerEdits": {
            "env": ["FAKE_CDI=yes"],
            "deviceNodes": [{"path": "/dev/nvidiactl", "hostPath": str(tmp_path / "ctl")}],
            "mounts": [{"hostPath": str(tmp_path / "libcuda.so.fake"),
                        "containerPath": "/usr/local/nvidia/lib64/libcuda.so.1", "options": ["ro", "nosuid", "bind"]}],
            "hooks": [{"hookName": "createRuntime", "path": "/bin/sh",
                       "args": ["sh", "-c", f"cat > /dev/null; echo ran >> {tmp_path / 'hook.log'}"]}],   # (the
                       # runtime writes the container's state to a hook's stdin)
        },
    }
    d = tmp_path / "cdi"
    d.mkdir()
    (d / "nvidia.json").write_text(json.dumps(spec))
    return str(d)


def test_each_gpu_container_sees_exactly_its_gpu_and_the_cdi_edits(tmp_path):
    cdi_dir = _cdi(tmp_path)
    inventory = gpus.discover(FakeNvml([T4, T4]))
    with Cluster(tmp_path / "cluster", runtime="crun", gpus=inventory, cdi_dirs=[cdi_dir]) as cluster:
        with gpu_devices.app.run(show_logs=False):
            with concurrent.futures.ThreadPoolExecutor(2) as pool:   # both GPUs held at once
                barrier = f"gpu-barrier-{secrets.token_hex(3)}"
                seen = list(pool.map(lambda f: f.remote(barrier, 2), [gpu_devices.look, gpu_devices.look_too]))
            assert cluster.workers()[0].gpu_type == "T4"
    assert sorted(s["nodes"] for s in seen) == [["nvidia0", "nvidiactl"], ["nvidia1", "nvidiactl"]]
    for s in seen:
        assert s == {**s, "read": "00000000", "env": "yes", "library": "the driver's library", "cuda": None, "met": 2}
    assert (tmp_path / "hook.log").read_text().count("ran") >= 2   # the spec's hook, for each container
