"""The OCI bundle's config.json and cgroup-mode detection, without running anything."""

import pytest

from leveret.worker.runtime import cgroups
from leveret.worker.runtime.base import ContainerSpec, DeviceNode, Mount, NetworkSpec, RuntimeStartError, read_device
from leveret.worker.runtime.ociconfig import CAPABILITIES, DEFAULT_PATH, MASKED_PATHS, oci_config

HYBRID = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""
V2 = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
V1 = "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"


def test_cgroup_modes():
    assert cgroups.detect(HYBRID) == cgroups.HYBRID
    assert cgroups.detect(V2) == cgroups.V2
    assert cgroups.detect(V1) == cgroups.V1


def test_cgroup_paths_cover_every_hierarchy():
    assert cgroups.paths("/leveret/ct-1", HYBRID) == [
        "/sys/fs/cgroup/cpu/leveret/ct-1", "/sys/fs/cgroup/pids/leveret/ct-1", "/sys/fs/cgroup/unified/leveret/ct-1"]


def _config(devices=(), env=None, mounts=(), **kw):
    spec = ContainerSpec("ct-1", ["python3", "b.py"], {"A": "1"} if env is None else env, "/w",
                         [Mount("/host/sock", "/host/sock", read_only=False), Mount("/host/code", "/host/code"), *mounts],
                         **kw)
    return oci_config(spec, [Mount("/host/leveret", "/opt/leveret/lib/leveret")], "/leveret/ct-1", devices=list(devices))


def test_isolation_defaults():
    c = _config()
    assert {n["type"] for n in c["linux"]["namespaces"]} == {"pid", "mount", "uts", "ipc"}
    assert c["process"]["noNewPrivileges"] is True
    assert c["process"]["capabilities"]["bounding"] == CAPABILITIES
    assert "CAP_SYS_ADMIN" not in CAPABILITIES and "CAP_NET_RAW" not in CAPABILITIES
    assert c["linux"]["maskedPaths"] == MASKED_PATHS and "/proc/sys" in c["linux"]["readonlyPaths"]
    assert c["linux"]["cgroupsPath"] == "/leveret/ct-1"
    assert c["hostname"] == "ct-1"
    seccomp = c["linux"]["seccomp"]
    assert seccomp["defaultAction"] == "SCMP_ACT_ALLOW"
    assert {"keyctl", "bpf", "mount", "unshare", "kexec_load"} <= set(seccomp["syscalls"][0]["names"])


def test_binds_keep_their_access_and_env_is_passed():
    c = _config()
    binds = {m["destination"]: m["options"] for m in c["mounts"] if m["type"] == "bind"}
    assert "ro" in binds["/opt/leveret/lib/leveret"] and "ro" in binds["/host/code"]
    assert "rw" in binds["/host/sock"]
    assert "A=1" in c["process"]["env"] and c["process"]["args"] == ["python3", "b.py"]


def test_pids_limit_only_when_set():
    assert "pids" not in _config()["linux"]["resources"]
    assert _config(pids_limit=64)["linux"]["resources"]["pids"] == {"limit": 64}


def test_extra_mounts_keep_their_target_and_access():
    c = _config(mounts=[Mount("/srv/volumes/vo-1", "/data", read_only=False), Mount("/srv/models", "/models")])
    binds = {m["destination"]: m for m in c["mounts"] if m["type"] == "bind"}
    assert binds["/data"]["source"] == "/srv/volumes/vo-1" and binds["/data"]["options"] == ["rbind", "rw", "nosuid", "nodev"]
    assert binds["/models"]["options"] == ["rbind", "ro", "nosuid", "nodev"]


def test_path_is_the_runtimes_default_unless_the_environment_sets_it():
    assert _config()["process"]["env"] == [f"PATH={DEFAULT_PATH}", "A=1"]
    env = _config(env={"PATH": "/opt/conda/bin:/usr/bin", "B": "2"})["process"]["env"]
    assert env == ["PATH=/opt/conda/bin:/usr/bin", "B=2"]   # the image's PATH, once


def test_network_host_shares_the_hosts_and_none_has_a_namespace_of_its_own():
    def namespaces(**kw):
        return {n["type"] for n in _config(**kw)["linux"]["namespaces"]}

    assert "network" not in namespaces() and "network" not in namespaces(network=NetworkSpec("host"))
    assert "network" in namespaces(network=NetworkSpec("none"))
    with pytest.raises(ValueError, match="network mode 'vpn': choose one of host, none"):
        NetworkSpec("vpn")


def test_every_device_is_refused_but_those_passed():
    assert _config()["linux"]["devices"] == []
    assert _config()["linux"]["resources"]["devices"] == [{"allow": False, "access": "rwm"}]
    gpu = DeviceNode("/dev/nvidia0", "c", 195, 0, 0o666, 0, 44)
    c = _config(devices=[gpu])
    assert c["linux"]["devices"] == [
        {"path": "/dev/nvidia0", "type": "c", "major": 195, "minor": 0, "fileMode": 0o666, "uid": 0, "gid": 44}]
    assert c["linux"]["resources"]["devices"] == [
        {"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 195, "minor": 0, "access": "rwm"}]


def test_devices_are_read_from_the_host(tmp_path):
    null = read_device("/dev/null")
    assert (null.type, null.major, null.minor, null.uid) == ("c", 1, 3, 0)
    (tmp_path / "file").write_text("")
    with pytest.raises(RuntimeStartError, match="is not a device node .* such as /dev/nvidia0"):
        read_device(str(tmp_path / "file"))
    with pytest.raises(RuntimeStartError, match="device /dev/nvidia-none is not on this host"):
        read_device("/dev/nvidia-none")


def test_memory_limit_is_in_the_config_with_no_swap_past_it():
    assert "memory" not in _config()["linux"]["resources"]
    limit = 64 << 20
    assert _config(memory_mb=64)["linux"]["resources"]["memory"] == {"limit": limit, "swap": limit}
    spec = ContainerSpec("ct-1", ["true"], {}, "/w", memory_mb=64)
    assert oci_config(spec, [], "/leveret/ct-1/c", swap=False)["linux"]["resources"]["memory"] == {"limit": limit}


def test_out_of_memory_is_read_from_the_parent_after_the_leaf_is_gone(tmp_path):
    limit = 64 << 20
    (tmp_path / "memory.events").write_text("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n")   # v2: counted up the tree
    assert cgroups.hit_memory_limit(str(tmp_path), limit)
    (tmp_path / "memory.events").write_text("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n")
    assert not cgroups.hit_memory_limit(str(tmp_path), limit)
    v1 = tmp_path / "v1"
    v1.mkdir()
    (v1 / "memory.max_usage_in_bytes").write_text(str(limit + 4096))   # v1: the parent's peak reached it
    assert cgroups.hit_memory_limit(str(v1), limit)
    (v1 / "memory.max_usage_in_bytes").write_text(str(limit // 2))
    assert not cgroups.hit_memory_limit(str(v1), limit)
    assert not cgroups.hit_memory_limit(str(tmp_path / "gone"), limit)


def test_swap_accounting_is_read_from_the_hierarchy(tmp_path):
    (tmp_path / "system.slice").mkdir()
    assert not cgroups.swap_accounting(cgroups.V2, root=str(tmp_path))
    (tmp_path / "system.slice" / "memory.swap.max").write_text("max\n")
    assert cgroups.swap_accounting(cgroups.V2, root=str(tmp_path))


def test_a_containers_tmp_is_part_of_its_root_and_a_build_steps_is_a_tmpfs():
    assert "/tmp" not in {m["destination"] for m in _config()["mounts"]}   # on its disk, bounded with it
    build_tmp = [m for m in _config(upper_dir="/layers/new")["mounts"] if m["destination"] == "/tmp"]
    assert [m["type"] for m in build_tmp] == ["tmpfs"]   # what a step leaves in /tmp is not in the layer


def test_a_private_network_joins_its_namespace_and_a_user_namespace_maps_root():
    spec = ContainerSpec("ct-1", ["sh"], {}, "/w", [Mount("/vol", "/data", read_only=False), Mount("/code", "/code")],
                         network=NetworkSpec("private"), userns=True)
    id_map = [{"containerID": 0, "hostID": 1_000_000, "size": 65536}]
    c = oci_config(spec, [Mount("/usr/lib/leveret", "/opt/leveret/lib")], "/leveret/ct-1",
                   netns="/run/netns/leveret-3", id_map=id_map)
    namespaces = c["linux"]["namespaces"]
    assert {"type": "network", "path": "/run/netns/leveret-3"} in namespaces and {"type": "user"} in namespaces
    assert c["linux"]["uidMappings"] == c["linux"]["gidMappings"] == id_map
    binds = {m["destination"]: m["options"] for m in c["mounts"] if m["type"] == "bind"}
    assert "idmap" in binds["/data"] and "idmap" in binds["/code"]   # its own: read and written as its root's
    assert "idmap" not in binds["/opt/leveret/lib"]   # the runtime's: readable by all as they are
    plain = oci_config(spec, [], "/leveret/ct-1")
    assert {"type": "user"} not in plain["linux"]["namespaces"] and "uidMappings" not in plain["linux"]
