"""config.json of an OCI bundle: what crun, runc and runsc are told to run, and how isolated.

Pure: a ContainerSpec (and what the runtime adds) in, a dict out. Each runtime class starts from
``oci_config`` and changes what it does differently (runsc: no seccomp profile, see runsc.py).
"""

from __future__ import annotations

import os

from .base import ContainerSpec, DeviceNode, Mount
from .disk import MiB

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CAPABILITIES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETPCAP", "CAP_SETFCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_AUDIT_WRITE",
]
MASKED_PATHS = [
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
]
READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
# Seccomp: allow by default, refuse what no function needs and what attacks the kernel (module and
# kexec loading, key management, bpf, perf, mounting, namespace games, clocks, swap, reboot).
DENIED_SYSCALLS = [
    "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "delete_module", "finit_module", "fsconfig",
    "fsmount", "fsopen", "fspick", "init_module", "iopl", "ioperm", "kexec_file_load", "kexec_load", "keyctl",
    "lookup_dcookie", "mount", "move_mount", "name_to_handle_at", "open_by_handle_at", "open_tree", "perf_event_open",
    "pivot_root", "quotactl", "reboot", "request_key", "setns", "settimeofday", "swapoff", "swapon", "umount2",
    "unshare", "userfaultfd",
]
SECCOMP_ARCHES = {"x86_64": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "aarch64": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]}
CPU_PERIOD_US = 100_000
# An image build step's /tmp: a tmpfs, so what it leaves there never becomes part of the layer.
BUILD_TMP = {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]}


def oci_config(spec: ContainerSpec, runtime_mounts: list[Mount], cgroups_path: str, *,
               devices: list[DeviceNode] = (), swap: bool = True, netns: str = "", id_map: list[dict] = ()) -> dict:
    """config.json for a container running ``spec`` (its root is the bundle's ``rootfs``). Its /tmp
    is part of the root, on the container's disk; an image build step's is a tmpfs. Its limits are
    the cgroup's at ``cgroups_path``: a memory limit is a hard one, with no swap past it where the
    kernel accounts swap (``swap``; OCI's swap is memory + swap, so swap = limit). ``devices``
    (``spec.devices`` read from the host) are made at their paths and are the only ones it may use
    besides the runtime's defaults (null, zero, full, random, urandom, tty, ptmx, pts). ``netns``:
    the network namespace made for it (a private network), joined rather than made. ``id_map``: a
    user namespace of its own with that mapping (config.json's uidMappings), its own binds idmapped
    (what it reads there is its root's, what it writes there is owned as it sees it: a function's
    code, its socket, volumes); the runtime's (``runtime_mounts``: the package, the init, the host's
    resolv.conf) are readable by all as they are."""
    binds = [
        {"destination": m.target, "type": "bind", "source": m.source,
         "options": ["rbind", "ro" if m.read_only else "rw", "nosuid", "nodev",
                     *(["idmap"] if id_map and (own or not m.read_only) else [])]}
        for own, mounts in ((False, runtime_mounts), (True, spec.mounts)) for m in mounts
    ]
    resources: dict = {}
    if spec.pids_limit:
        resources["pids"] = {"limit": spec.pids_limit}
    if spec.cpu:
        resources["cpu"] = {"quota": int(spec.cpu * CPU_PERIOD_US), "period": CPU_PERIOD_US}
    if spec.memory_mb:
        limit = spec.memory_mb * MiB
        resources["memory"] = {"limit": limit, **({"swap": limit} if swap else {})}
    # every device refused (crun would otherwise allow all), then each one passed allowed
    resources["devices"] = [{"allow": False, "access": "rwm"}] + [
        {"allow": True, "type": d.type, "major": d.major, "minor": d.minor, "access": "rwm"} for d in devices]
    namespaces = [{"type": t} for t in ("pid", "mount", "uts", "ipc")]
    if spec.network.isolated:
        namespaces.append({"type": "network", **({"path": netns} if netns else {})})
    if id_map:
        namespaces.append({"type": "user"})
    env = {"PATH": DEFAULT_PATH, **spec.env}
    config = {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": spec.argv,
            "env": [f"{k}={v}" for k, v in env.items()],
            "cwd": spec.cwd,
            "capabilities": {k: CAPABILITIES for k in ("bounding", "effective", "permitted")},
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": spec.container_id,
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            # (a sysfs of its own needs a network namespace its user namespace owns: else the host's, read-only)
            {"destination": "/sys", "type": "bind", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}
            if id_map else
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            *([BUILD_TMP] if spec.upper_dir else []),
            *binds,
        ],
        "linux": {
            "namespaces": namespaces,
            **({"uidMappings": list(id_map), "gidMappings": list(id_map)} if id_map else {}),
            "devices": [{"path": d.path, "type": d.type, "major": d.major, "minor": d.minor, "fileMode": d.mode,
                         "uid": d.uid, "gid": d.gid} for d in devices],
            "maskedPaths": MASKED_PATHS,
            "readonlyPaths": READONLY_PATHS,
            "cgroupsPath": cgroups_path,
            "resources": resources,
            "seccomp": {
                "defaultAction": "SCMP_ACT_ALLOW",
                "architectures": SECCOMP_ARCHES.get(os.uname().machine, []),
                "syscalls": [{"names": DENIED_SYSCALLS, "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
            },
        },
    }
    hooks: dict[str, list] = {}
    for stage, hook in spec.hooks:   # (a GPU's, by CDI: nvidia-ctk's symlinks and linker cache)
        hooks.setdefault(stage, []).append(dict(hook))
    if hooks:
        config["hooks"] = hooks
    return config
