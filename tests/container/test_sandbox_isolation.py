"""Untrusted code in a crun sandbox, each limit seen from inside it (tests/apps/sandbox_probe.py):
Docker's default capabilities less NET_RAW and MKNOD, seccomp (no mount, no unshare), no new
privileges, a read-only /proc/sys, its own pids only, none of the host's files (the server's
database, the worker's sockets and bundles, other containers' directories), no token in its
environment, and none of the host's ports (its network is its own); and a user namespace: root
inside is an unprivileged uid outside, while the image's files, volumes and snapshots stay as the
sandbox sees them."""

import json
import os
import secrets
import shutil

import pytest

import leveret

pytestmark = pytest.mark.container

PROBE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "apps", "sandbox_probe.py")


@pytest.fixture(scope="module")
def crun(tmp_path_factory):
    from leveret.testing import Cluster

    with Cluster(tmp_path_factory.mktemp("crun-isolation"), runtime="crun") as c:
        yield c


def test_what_untrusted_code_in_a_sandbox_can_reach(crun):
    app = leveret.App.lookup("isolation-" + secrets.token_hex(3), create_if_missing=True)
    other = leveret.Sandbox.create(app=app)
    sb = leveret.Sandbox.create(app=app)
    other.wait_until_ready()
    sb.wait_until_ready()
    d = crun.server.dispatcher
    other_ct = d.sandboxes.get(other.object_id).container_id
    worker_dir = os.path.join(crun.directory, "worker")
    paths = [crun.db, worker_dir, crun.agent.socket_dir, os.path.join(worker_dir, "bundles", other_ct)]
    sb.filesystem.copy_from_local(PROBE, "/probe.py")
    p = sb.exec("python3", "/probe.py", json.dumps({"paths": paths, "metrics": crun.http_url + "/metrics"}))
    out, err = p.stdout.read(), p.stderr.read()
    assert p.wait() == 0, err
    seen = json.loads(out)
    assert seen["caps"] == {"NET_RAW": False, "MKNOD": False, "SYS_ADMIN": False, "SYS_PTRACE": False,
                            "NET_ADMIN": False, "SYS_MODULE": False, "DAC_READ_SEARCH": False}
    assert not seen["raw_socket"] and not seen["mknod"]
    assert seen["seccomp"] == "2" and not seen["unshare"] and not seen["mount"]   # filter mode
    assert seen["no_new_privs"] == "1" and not seen["proc_sys_writable"]
    assert max(seen["pids"]) < 100   # its own pid namespace: the host's and the other sandbox's are not there
    assert seen["paths"] == {p: False for p in paths}
    assert seen["env"] == []
    # the server's HTTP side (on the host's loopback) is not there at all: its loopback is its own
    assert "Connection refused" in str(seen["metrics"])
    for s in (sb, other):
        s.terminate()


def test_root_in_a_sandbox_is_an_unprivileged_uid_outside(crun):
    from leveret.worker.runtime.userns import FIRST

    app = leveret.App.lookup("userns-" + secrets.token_hex(3), create_if_missing=True)
    with leveret.Volume.ephemeral() as vol:
        sb = leveret.Sandbox.create(app=app, volumes={"/data": vol})
        sb.wait_until_ready()
        p = sb.exec("sh", "-c", "cat /proc/self/uid_map; id -u; echo made > /root/made.txt && echo x >> /etc/hosts"
                    " && echo shared > /data/v.txt && stat -c '%u %g' /root/made.txt /etc/passwd /data/v.txt")
        out, err = p.stdout.read(), p.stderr.read()
        assert p.wait() == 0, err
        uid_map, uid, *owners = out.splitlines()
        inside, base, size = map(int, uid_map.split())
        assert (inside, size, uid) == (0, 65536, "0") and base >= FIRST   # root inside, 65536 ids from base outside
        assert owners == ["0 0", "0 0", "0 0"]   # its files, the image's and the volume's: root's, as it sees them
        task = crun.agent.tasks[crun.server.dispatcher.sandboxes.get(sb.object_id).container_id]
        with open(os.path.join(task.handle.bundle, "pid")) as f:
            pid = int(f.read())
        host_view = os.stat(f"/proc/{pid}/root/root/made.txt")
        assert (host_view.st_uid, host_view.st_gid) == (base, base)   # outside: the unprivileged uid
        assert os.stat(f"/proc/{pid}/root/etc/passwd").st_uid == base   # the image's root is its root
        image = sb.snapshot_filesystem()   # as it saw its files: root's
        sb.terminate()
        sb.wait(raise_on_termination=False)
        assert b"".join(vol.read_file("v.txt")) == b"shared\n"   # committed at its end
    again = leveret.Sandbox.create("stat", "-c", "%u %g", "/root/made.txt", app=app, image=image)
    again.wait()
    assert again.stdout.read() == "0 0\n"


@pytest.mark.skipif(shutil.which("runsc") is None,
                    reason="runsc (gVisor) is not installed here (not a Debian package); a worker started with"
                           " --runtime runsc runs sandboxes under it")
def test_runsc_runs_sandboxes_too(tmp_path):
    from leveret.testing import Cluster

    with Cluster(tmp_path, runtime="runsc"):
        app = leveret.App.lookup("runsc-" + secrets.token_hex(3), create_if_missing=True)
        sb = leveret.Sandbox.create("uname", "-a", app=app)
        sb.wait()
        assert sb.returncode == 0 and sb.stdout.read()
