"""GPUs without a GPU: a fake NVML inventory drives discovery (worker/gpus.py), the worker's pool,
and the container edits (runtime/cdi.py) from a CDI spec the test writes, or from the driver's
files, down to config.json."""

import json
import os
import types

import pytest

from leveret.testing.nvml import FakeNvml
from leveret.worker import gpus
from leveret.worker.runtime import ContainerSpec, Mount, RuntimeStartError, cdi
from leveret.worker.runtime.base import read_device
from leveret.worker.runtime.ociconfig import oci_config

H100 = {"model": "NVIDIA H100 80GB HBM3", "memory_mb": 81559}
A100 = {"model": "NVIDIA A100-SXM4-40GB", "memory_mb": 40960, "mig": False}
ISOLATED, SHARED = types.SimpleNamespace(isolated=True), types.SimpleNamespace(isolated=False)


def test_nvml_describes_each_gpu_and_the_driver():
    inv = gpus.discover(FakeNvml([H100, {**H100, "minor": 3}], driver="550.54.15", cuda=12040))
    assert (inv.count, inv.type, inv.driver, inv.cuda, inv.found) == (2, "H100", "550.54.15", "12.4", True)
    first, second = inv.gpus
    assert (first.index, first.minor, first.memory_mb, first.mig, first.model) == (0, 0, 81559, False, H100["model"])
    assert (second.index, second.minor) == (1, 3) and first.uuid != second.uuid and first.uuid.startswith("GPU-")
    assert inv.describe() == "2 H100 79 GiB GPU(s), driver 550.54.15, CUDA 12.4"


def test_a_host_without_the_driver_has_no_gpus_quietly(caplog, monkeypatch):
    import pynvml

    def no_driver():
        raise pynvml.NVMLError(pynvml.NVML_ERROR_DRIVER_NOT_LOADED)

    monkeypatch.setattr(pynvml, "nvmlInit", no_driver)
    assert gpus.load_nvml() is None and gpus.discover() == gpus.Inventory()
    assert gpus.discover(FakeNvml([])) == gpus.Inventory(found=True, driver="550.54.15", cuda="12.4")
    assert gpus.Inventory().describe() == "" and caplog.records == []


def test_a_gpu_in_mig_mode_is_reported_but_not_offered(caplog):
    inv = gpus.discover(FakeNvml([A100, {**A100, "mig": True}, A100]))
    assert [g.mig for g in inv.gpus] == [False, True, False]
    assert "(1 in MIG mode)" in inv.describe()
    pool = gpus.Pool(inv, SHARED)
    assert pool.count == 2 and [g.index for g in pool.free] == [0, 2]
    assert "GPU 1 (NVIDIA A100-SXM4-40GB) is in MIG mode: not offered" in caplog.text


def test_each_gpu_is_one_containers_until_released():
    pool = gpus.Pool(gpus.discover(FakeNvml([H100] * 4)), SHARED)
    a, b = pool.take(2), pool.take(1)
    assert [g.index for g in a] == [0, 1] and [g.index for g in b] == [2]
    with pytest.raises(RuntimeStartError, match="2 GPU\\(s\\) asked for and 1 free on this worker"):
        pool.take(2)
    pool.release(a)
    assert [g.index for g in pool.take(3)] == [0, 1, 3]


def test_the_process_runtime_tells_cuda_which_of_the_hosts_gpus_are_its():
    pool = gpus.Pool(gpus.Inventory.told(4, "t4"), SHARED)
    pool.take(1)
    edits = pool.edits(pool.take(2))
    assert edits == cdi.Edits(env=(("CUDA_VISIBLE_DEVICES", "1,2"), ("NVIDIA_VISIBLE_DEVICES", "1,2")))
    assert pool.inventory.type == "T4" and pool.edits([]) == cdi.Edits()


def _cdi_spec(tmp_path, devices: dict[str, str]) -> dict:
    """A spec as `nvidia-ctk cdi generate` writes one, its device nodes at test paths."""
    return {
        "cdiVersion": "0.5.0", "kind": "nvidia.com/gpu",
        "devices": [{"name": name, "containerEdits": {"deviceNodes": [{"path": inside, "hostPath": str(tmp_path / host)}]}}
                    for name, (host, inside) in devices.items()],
        "containerEdits": {
            "env": ["NVIDIA_VISIBLE_DEVICES=void"],
            "deviceNodes": [{"path": "/dev/nvidiactl", "hostPath": str(tmp_path / "ctl")}],
            "mounts": [{"hostPath": "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15",
                        "containerPath": "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15",
                        "options": ["ro", "nosuid", "nodev", "bind"]}],
            "hooks": [{"hookName": "createContainer", "path": "/usr/bin/nvidia-ctk",
                       "args": ["nvidia-ctk", "hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu"]}],
        },
    }


@pytest.mark.parametrize("form", ["json", "yaml"])
def test_a_cdi_spec_gives_a_container_its_devices_edits_and_the_specs_own(tmp_path, form):
    spec = _cdi_spec(tmp_path, {"0": ("n0", "/dev/nvidia0"), "1": ("n1", "/dev/nvidia1"),
                                "GPU-b": ("n1", "/dev/nvidia1"), "all": ("n0", "/dev/nvidia0")})
    d = tmp_path / "cdi"
    d.mkdir()
    (d / "other.json").write_text(json.dumps({"cdiVersion": "0.5.0", "kind": "example.com/fpga", "devices": []}))
    if form == "json":
        (d / "nvidia.json").write_text(json.dumps(spec))
    else:
        import yaml

        (d / "nvidia.yaml").write_text(yaml.safe_dump(spec))
    pool = gpus.Pool(gpus.discover(FakeNvml([H100, H100])), ISOLATED, cdi_dirs=[str(tmp_path / "none"), str(d)])
    pool.take(1)
    edits = pool.edits(pool.take(1))   # GPU 1: named "1" in the spec
    assert edits.devices == (f"{tmp_path}/ctl:/dev/nvidiactl", f"{tmp_path}/n1:/dev/nvidia1")
    assert edits.mounts == (Mount("/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15",
                                  "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"),)
    assert edits.env == (("NVIDIA_VISIBLE_DEVICES", "void"),)
    assert edits.hooks == (("createContainer", {"path": "/usr/bin/nvidia-ctk", "args": spec["containerEdits"]["hooks"][0]["args"]}),)


def test_a_cdi_spec_naming_gpus_by_uuid_only_and_one_that_lacks_a_gpu(tmp_path):
    inv = gpus.Inventory((gpus.Gpu(0, 0, "GPU-a", "H100"), gpus.Gpu(1, 1, "GPU-b", "H100")))
    spec = _cdi_spec(tmp_path, {"GPU-a": ("n0", "/dev/nvidia0"), "GPU-b": ("n1", "/dev/nvidia1")})
    (tmp_path / "nvidia.json").write_text(json.dumps(spec))
    pool = gpus.Pool(inv, ISOLATED, cdi_dirs=[str(tmp_path)])
    assert pool.edits([inv.gpus[1]]).devices[-1] == f"{tmp_path}/n1:/dev/nvidia1"
    del spec["devices"][1]
    (tmp_path / "nvidia.json").write_text(json.dumps(spec))
    with pytest.raises(RuntimeStartError, match="names no device 'GPU-b' \\(it has GPU-a\\): generate it again"):
        pool.edits([inv.gpus[1]])
    (tmp_path / "nvidia.json").write_text("{not json")
    with pytest.raises(RuntimeStartError, match="nvidia.json cannot be read .*nvidia-ctk cdi generate"):
        pool.edits([inv.gpus[1]])


def test_without_a_cdi_spec_the_edits_come_from_nvml_and_the_drivers_files(tmp_path, monkeypatch):
    dev = tmp_path / "dev"
    dev.mkdir()
    for name in ("nvidia0", "nvidia3", "nvidiactl", "nvidia-uvm"):
        (dev / name).touch()
    monkeypatch.setattr(cdi, "driver_libraries", lambda: {"libcuda.so.1": "/usr/lib/x86_64-linux-gnu/libcuda.so.550"})
    monkeypatch.setattr(cdi.shutil, "which", lambda name: f"/usr/bin/{name}" if name == "nvidia-smi" else None)
    inv = gpus.discover(FakeNvml([H100, {**H100, "minor": 3}]))
    edits = cdi.from_driver([inv.gpus[1]], dev=str(dev))
    assert edits.devices == (f"{dev}/nvidia3", f"{dev}/nvidiactl", f"{dev}/nvidia-uvm")   # not GPU 0's node
    assert edits.mounts == (Mount("/usr/lib/x86_64-linux-gnu/libcuda.so.550", "/usr/local/nvidia/lib64/libcuda.so.1"),
                            Mount("/usr/bin/nvidia-smi", "/usr/local/nvidia/bin/nvidia-smi"))
    env = cdi.apply(edits, {"PATH": "/usr/bin", "HOME": "/root"})
    assert env == {"PATH": "/usr/bin:/usr/local/nvidia/bin", "LD_LIBRARY_PATH": "/usr/local/nvidia/lib64",
                   "HOME": "/root"}


def test_the_drivers_libraries_are_read_from_the_linker_cache(monkeypatch):
    cache = ("3 libs found in cache `/etc/ld.so.cache'\n"
             "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1\n"
             "\tlibcuda.so.1 (libc6) => /usr/lib/i386-linux-gnu/libcuda.so.1\n"
             "\tlibcuda.so (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so\n"
             "\tlibnvidia-ml.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1\n"
             "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6\n")
    monkeypatch.setattr(cdi.subprocess, "run", lambda *a, **k: types.SimpleNamespace(stdout=cache))
    monkeypatch.setattr(cdi.os.path, "realpath", lambda p: p + ".real")
    assert cdi.driver_libraries() == {
        "libcuda.so.1": "/usr/lib/x86_64-linux-gnu/libcuda.so.1.real",
        "libnvidia-ml.so.1": "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1.real"}


def test_config_json_holds_only_the_containers_gpu_nodes_and_the_cdi_hooks(tmp_path):
    node = tmp_path / "fake-nvidia1"
    os.mknod(node, 0o666 | 0o020000, os.makedev(1, 5))   # a character device (/dev/zero's numbers)
    device = read_device(f"{node}:/dev/nvidia1")
    assert (device.path, device.type, device.major, device.minor) == ("/dev/nvidia1", "c", 1, 5)
    hook = {"path": "/usr/bin/nvidia-ctk", "args": ["nvidia-ctk", "hook", "create-symlinks"]}
    spec = ContainerSpec("ct-1", ["true"], {}, "/", devices=[f"{node}:/dev/nvidia1"], hooks=(("createContainer", hook),))
    config = oci_config(spec, [], "/leveret/ct-1", devices=[device])
    assert [d["path"] for d in config["linux"]["devices"]] == ["/dev/nvidia1"]
    assert config["linux"]["resources"]["devices"][1:] == [
        {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwm"}]
    assert config["hooks"] == {"createContainer": [hook]}
    assert "hooks" not in oci_config(ContainerSpec("ct-2", ["true"], {}, "/"), [], "/leveret/ct-2")
    with pytest.raises(RuntimeStartError, match="a CDI hook at stage 'afterStop': OCI's stages are prestart"):
        cdi._edits({"hooks": [{"hookName": "afterStop", "path": "/bin/true"}]})


@pytest.mark.parametrize("name, memory_mb, short", [
    ("NVIDIA H100 80GB HBM3", 81559, "H100"), ("NVIDIA H200", 0, "H200"), ("Tesla T4", 15360, "T4"),
    ("NVIDIA A100-SXM4-80GB", 0, "A100"), ("NVIDIA A100-SXM4-80GB", 81920, "A100-80GB"),
    ("NVIDIA A100-PCIE-40GB", 40960, "A100-40GB"), ("NVIDIA RTX PRO 6000 Blackwell Server Edition", 97887, "RTX-PRO-6000"),
    ("NVIDIA A10G", 23028, "A10G"), ("NVIDIA L40S", 46068, "L40S"), ("NVIDIA RTX A6000", 0, "A6000"), ("", 0, "")])
def test_the_type_functions_ask_for_is_the_models_short_name(name, memory_mb, short):
    assert gpus.short_name(name, memory_mb) == short
