"""What a ContainerSpec asks of crun and runc, for real: host directories mounted read-write or
read-only (what a Volume will be), and host devices passed in (what GPUs will be)."""

import asyncio
import json
import os
import signal
import stat

import pytest

from leveret._shared.ids import new_id
from leveret.worker.images.base import default_rootfs
from leveret.worker.runtime import cgroups
from leveret.worker.runtime.base import ContainerSpec, Mount
from leveret.worker.runtime.oci import CrunRuntime, RuncRuntime, leaf_cgroup

pytestmark = pytest.mark.container

RUNTIMES = {"crun": CrunRuntime, "runc": RuncRuntime}


def python_spec(tmp_path, code: str, **kw) -> ContainerSpec:
    return ContainerSpec(new_id("ct"), ["python3", "-c", code], {}, str(tmp_path), rootfs=default_rootfs(), **kw)


async def run_to_end(runtime, spec: ContainerSpec) -> tuple[int, str, str]:
    handle = await runtime.start(spec)
    try:
        out, err = await asyncio.gather(handle.stdout.read(), handle.stderr.read())
        return await handle.wait(), out.decode(), err.decode()
    finally:
        await runtime.remove(handle)
        await runtime.close()


WRITE = """
import errno, json
with open("/data/in.txt") as f:
    seen = f.read()
with open("/data/out.txt", "w") as f:
    f.write("written inside")
try:
    open("/models/new.txt", "w")
    refused = ""
except OSError as exc:
    refused = errno.errorcode[exc.errno]
print(json.dumps({"seen": seen, "refused": refused}))
"""


@pytest.mark.parametrize("name", RUNTIMES)
def test_a_host_directory_mounted_read_write_keeps_what_the_container_writes(tmp_path, name):
    volume, models = tmp_path / "volume", tmp_path / "models"
    volume.mkdir()
    models.mkdir()
    (volume / "in.txt").write_text("from the host")
    runtime = RUNTIMES[name](str(tmp_path / "state"))
    spec = python_spec(tmp_path, WRITE, mounts=[Mount(str(volume), "/data", read_only=False), Mount(str(models), "/models")])
    code, out, err = asyncio.run(run_to_end(runtime, spec))
    assert code == 0, err
    assert json.loads(out) == {"seen": "from the host", "refused": "EROFS"}
    assert (volume / "out.txt").read_text() == "written inside"   # on the host, after the container is gone
    assert not (models / "new.txt").exists()


PROBE = """
import json, os, stat, sys, time
path = sys.argv[1]
st = os.stat(path)
with open(path, "r+b", buffering=0) as f:
    f.write(b"x")
    data = f.read(8)
print(json.dumps({"char": stat.S_ISCHR(st.st_mode), "rdev": [os.major(st.st_rdev), os.minor(st.st_rdev)],
                  "read": data.hex()}), flush=True)
time.sleep(60)   # until the test has looked at its cgroup and kills it
"""


@pytest.mark.parametrize("name", RUNTIMES)
def test_a_device_passed_is_a_node_inside_and_usable_and_the_only_one_allowed(tmp_path, name):
    # a real device node at a path the runtime would not make by itself: /dev/zero's numbers
    device = tmp_path / "accel0"
    os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 5))
    runtime = RUNTIMES[name](str(tmp_path / "state"))
    spec = python_spec(tmp_path, PROBE, devices=[str(device)])
    spec.argv.append(str(device))

    async def main():
        handle = await runtime.start(spec)
        try:
            line = await asyncio.wait_for(handle.stdout.readline(), 30)
            rules = _device_rules(spec.container_id)
            handle.kill(signal.SIGKILL)
            await handle.wait()
            return line.decode(), rules, (await handle.stderr.read()).decode()
        finally:
            await runtime.remove(handle)
            await runtime.close()

    line, rules, err = asyncio.run(main())
    assert json.loads(line or "null") == {"char": True, "rdev": [1, 5], "read": "00" * 8}, err
    if rules is not None:   # v1: the devices cgroup lists what is allowed (v2 has an eBPF program instead)
        assert "a *:* rwm" not in rules and "c 1:5 rwm" in rules


def _device_rules(container_id: str) -> list[str] | None:
    for path in cgroups.paths(leaf_cgroup(container_id)):
        try:
            with open(os.path.join(path, "devices.list")) as f:
                return f.read().splitlines()
        except OSError:
            continue
    return None
