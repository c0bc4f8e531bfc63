import os

import leveret

app = leveret.App("isolation")


@app.function()
def look():
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    with open("/etc/os-release") as f:
        release = f.read()
    return {"pid": os.getpid(), "pids": pids, "hostname": os.uname().nodename, "release": release,
            "container": os.environ.get("LEVERET_CONTAINER_ID")}


@app.function()
def write_marker(path):
    with open(path, "w") as f:
        f.write("written in a container")
    return os.path.exists(path)


@app.function()
def exists(path):
    return os.path.exists(path)


@app.function()
def forkbomb():
    import subprocess

    children = []
    try:
        for _ in range(10_000):
            children.append(subprocess.Popen(["sleep", "30"]))
    except OSError as exc:
        return len(children), str(exc)
    finally:
        for c in children:
            c.kill()
            c.wait()
    return len(children), ""


@app.function(memory=64)
def hog(mb):
    blocks = [bytearray(1024 * 1024) for _ in range(mb)]
    return len(blocks)


@app.function(cpu=0.25, memory=128)
def limits():
    def read(*paths):
        for p in paths:
            try:
                with open(p) as f:
                    return f.read().split()
            except OSError:
                continue
        return None

    return {"cpu": read("/sys/fs/cgroup/cpu.max", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us")}


@app.function(block_network=True)
def interfaces():   # (its network namespace's, by netlink: its /sys may be a read-only bind of its host's)
    import socket

    return sorted(name for _, name in socket.if_nameindex())


@app.function()
def host_interfaces():
    import socket

    return sorted(name for _, name in socket.if_nameindex())


@app.function()
def keyctl_errno():
    """keyctl needs no capability, so only the seccomp profile can refuse it."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING = 0, -3
    SYS_keyctl = {"x86_64": 250, "aarch64": 219}[os.uname().machine]
    rc = libc.syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)
    return rc, ctypes.get_errno()


@app.function()
def busy(seconds, megabytes):
    """Hold ``megabytes`` and keep a CPU busy for ``seconds``."""
    import time

    held = bytearray(megabytes * 1024 * 1024)
    for i in range(0, len(held), 4096):
        held[i] = 1
    deadline = time.monotonic() + seconds
    spins = 0
    while time.monotonic() < deadline:
        spins += 1
    return len(held), spins


@app.function()
def write_as_root(path: str) -> dict:
    """Write ``path`` as this container's root: its uid inside, its uid map, its container id."""
    with open(path, "w") as f:
        f.write("mine")
    with open("/proc/self/uid_map") as f:
        uid_map = f.read().split()
    return {"uid": os.getuid(), "owner": os.stat(path).st_uid, "uid_map": uid_map,
            "container": os.environ["LEVERET_CONTAINER_ID"]}
