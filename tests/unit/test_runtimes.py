"""What each OCI runtime class runs and writes, on a host faked to have it (no root, no binary)."""

import asyncio

import pytest

from leveret.worker.runtime import get_runtime, oci
from leveret.worker.runtime.base import ContainerSpec, Mount, NetworkSpec, RuntimeStartError, read_device
from leveret.worker.runtime.fake import FakeDisks
from leveret.worker.runtime.oci import CrunRuntime, RuncRuntime
from leveret.worker.runtime.runsc import RunscRuntime


@pytest.fixture
def host(monkeypatch, tmp_path):
    """A root host with every runtime binary and tini; returns the kwargs a runtime needs there."""
    monkeypatch.setattr(oci.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(oci.os, "geteuid", lambda: 0)
    (tmp_path / "tini").write_text("")
    monkeypatch.setattr(oci, "TINI", str(tmp_path / "tini"))
    return {"disks": FakeDisks(str(tmp_path / "disks"))}


def spec(**kw):
    return ContainerSpec("ct-1", ["python3", "b.py"], {"A": "1"}, "/w", [Mount("/data", "/data", read_only=False)], **kw)


@pytest.mark.parametrize("name, cls", [("crun", CrunRuntime), ("runc", RuncRuntime), ("runsc", RunscRuntime)])
def test_get_runtime_gives_each_oci_runtime_its_class(host, monkeypatch, name, cls):
    monkeypatch.setattr(oci, "choose_maker", lambda root: host["disks"])
    runtime = get_runtime(name, "/state")
    assert type(runtime) is cls and runtime.name == name and runtime.isolated


def test_a_missing_binary_says_how_to_install_it(host, monkeypatch):
    monkeypatch.setattr(oci.shutil, "which", lambda name: None)
    with pytest.raises(oci.RuntimeStartError, match="runc is not installed: apt-get install runc, or run"):
        RuncRuntime("/state", **host)
    with pytest.raises(oci.RuntimeStartError, match="runsc is not installed: install gVisor"):
        RunscRuntime("/state", **host)


def test_crun_and_runc_share_the_config_and_verbs(host):
    crun, runc = CrunRuntime("/state", unified_hidden=True, **host), RuncRuntime("/state", **host)
    assert crun.config(spec()) == runc.config(spec())
    assert "seccomp" in runc.config(spec())["linux"]
    assert runc.run_command(spec(), "/b") == ["/usr/bin/runc", "run", "--bundle", "/b", "--pid-file=/b/pid", "ct-1"]
    assert crun.command("kill", "--all", "ct-1", "9") == ["/usr/bin/crun", "kill", "--all", "ct-1", "9"]


def test_crun_runs_where_the_v2_hierarchy_is_hidden_on_a_hybrid_host(host, monkeypatch):
    monkeypatch.setattr(oci.cgroups, "detect", lambda: oci.cgroups.HYBRID)
    crun, runc = CrunRuntime("/state", **host), RuncRuntime("/state", **host)
    assert crun.command("delete", "ct-1")[:3] == ["unshare", "--mount", "--propagation"]
    assert crun.command("delete", "ct-1")[-3:] == ["/usr/bin/crun", "delete", "ct-1"]
    assert runc.command("delete", "ct-1") == ["/usr/bin/runc", "delete", "ct-1"]   # runc works there as it is
    assert crun.describe() == "crun (cgroup hybrid, its v2 hierarchy hidden from crun)"


def test_runsc_gets_gvisors_flags_before_each_verb(host):
    runsc = RunscRuntime("/state", platform="ptrace", **host)
    flags = ["--host-uds=open", "--overlay2=none", "--platform=ptrace"]
    assert runsc.command("kill", "--all", "ct-1", "15") == ["/usr/bin/runsc", *flags, "kill", "--all", "ct-1", "15"]
    assert runsc.run_command(spec(), "/b") == ["/usr/bin/runsc", *flags, "--network=host", "run", "--bundle", "/b", "--pid-file=/b/pid", "ct-1"]
    assert RunscRuntime("/state", **host).command("delete", "ct-1") == [
        "/usr/bin/runsc", "--host-uds=open", "--overlay2=none", "delete", "ct-1"]   # the platform: runsc's default
    assert runsc.describe().startswith("runsc (gVisor, platform ptrace; cgroup ")


def test_runsc_blocks_the_network_with_its_own_stack(host):
    runsc = RunscRuntime("/state", **host)
    assert "--network=none" in runsc.run_command(spec(network=NetworkSpec("none")), "/b")


def test_runsc_config_has_no_seccomp_profile_and_the_same_limits(host):
    runsc, runc = RunscRuntime("/state", **host), RuncRuntime("/state", **host)
    limited = spec(cpu=0.5, pids_limit=64)
    assert "seccomp" not in runsc.config(limited)["linux"]
    assert runsc.config(limited)["linux"]["resources"] == runc.config(limited)["linux"]["resources"]
    assert runsc.config(limited)["linux"]["cgroupsPath"] == oci.leaf_cgroup("ct-1")
    assert runsc.config(limited)["mounts"] == runc.config(limited)["mounts"]


def test_runsc_refuses_devices_before_setting_anything_up(host):
    runsc = RunscRuntime("/state", **host)
    with pytest.raises(RuntimeStartError, match=r"runsc runtime cannot pass host devices into its sandbox \(/dev/null\)"
                                                r".*--runtime crun or runc"):
        asyncio.run(runsc.start(spec(devices=["/dev/null"], rootfs="/image")))
    assert host["disks"].calls == []   # no disk taken, no bundle made


def test_crun_and_runc_write_the_devices_they_are_given(host):
    null = read_device("/dev/null")
    config = CrunRuntime("/state", unified_hidden=True, **host).config(spec(devices=["/dev/null"]), [null])
    assert config["linux"]["devices"][0]["path"] == "/dev/null"
    assert {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"} in config["linux"]["resources"]["devices"]


def test_a_device_missing_on_the_host_fails_the_start_with_its_path(host):
    with pytest.raises(RuntimeStartError, match="device /dev/nvidia-none is not on this host"):
        asyncio.run(RuncRuntime("/state", **host).start(spec(devices=["/dev/nvidia-none"], rootfs="/image")))
    assert host["disks"].calls == []


def test_the_process_runtime_checks_devices_and_refuses_a_blocked_network(tmp_path):
    from leveret.worker.runtime.process import ProcessRuntime

    async def start(**kw):
        handle = await ProcessRuntime().start(ContainerSpec("ct-1", ["true"], {}, str(tmp_path), **kw))
        return await handle.wait()

    assert asyncio.run(start(devices=["/dev/null"])) == 0   # every host device is there: no isolation
    with pytest.raises(RuntimeStartError, match="device /dev/nvidia-none is not on this host"):
        asyncio.run(start(devices=["/dev/nvidia-none"]))
    with pytest.raises(RuntimeStartError, match="cannot enforce block_network="):
        asyncio.run(start(network=NetworkSpec("none")))
