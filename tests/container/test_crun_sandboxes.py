"""Sandboxes in real crun containers: an image with neither Python nor a shell (a no-command sandbox
sleeps with the worker's static busybox), exec in it, block_network, resources, and a pool of 20
created, exec'd in at once and terminated, which leaves no container, mount, cgroup, network or process."""

import concurrent.futures
import os
import secrets

import pytest
import registry

import leveret
from leveret.worker.runtime import cgroups, network
from leveret.worker.runtime.oci import cgroup_of

pytestmark = pytest.mark.container


@pytest.fixture(scope="module")
def crun(tmp_path_factory):
    from leveret.testing import Cluster

    with Cluster(tmp_path_factory.mktemp("crun-sandboxes"), runtime="crun", max_containers=24) as c:
        yield c


@pytest.fixture(scope="module")
def app(crun):
    return leveret.App.lookup("crun-sandboxes-" + secrets.token_hex(3), create_if_missing=True)


def test_an_image_without_python_or_a_shell(crun, app, local_registry):
    layer = registry.tar_layer({"data": None, "data/hello.txt": b"from the image\n"})
    registry.Pusher(local_registry, "bare").image("v1", [layer])
    image = leveret.Image.from_registry(f"127.0.0.1:{local_registry}/bare:v1")
    sb = leveret.Sandbox.create(app=app, image=image)
    sb.wait_until_ready(timeout=120)
    p = sb.exec("/opt/leveret/busybox", "cat", "/data/hello.txt")
    assert p.stdout.read() == "from the image\n" and p.wait() == 0
    p = sb.exec("/opt/leveret/busybox", "sh", "-c", "ls /usr/bin | wc -l; echo $PATH")
    count, _ = p.stdout.read().split("\n", 1)
    assert count.strip() == "0" and p.wait() == 0   # nothing of the host's
    # its files from outside, with no shell or tool of its own
    assert sb.filesystem.read_text("/data/hello.txt") == "from the image\n"
    sb.filesystem.write_bytes(b"\x00\x01new", "/data/made/new.bin")
    assert [e.path for e in sb.filesystem.list_files("/data")] == ["/data/hello.txt", "/data/made"]
    assert sb.filesystem.read_bytes("/data/made/new.bin") == b"\x00\x01new"
    with pytest.raises(FileNotFoundError):
        sb.filesystem.read_bytes("/etc/hostname-of-nobody")
    sb.terminate()


def test_its_command_its_own_pids_hostname_limits_workdir_and_no_network(crun, app):
    from leveret.worker.runtime.oci import leaf_cgroup

    sb = leveret.Sandbox.create("sh", "-c", "echo $$; hostname; pwd; python3 -c 'import socket;"
                                " print(len(socket.if_nameindex()))'; read x", app=app, memory=256, block_network=True,
                                workdir="/tmp")
    sb.wait_until_ready()
    container_id = crun.server.dispatcher.sandboxes.get(sb.object_id).container_id
    with open(os.path.join(cgroups.memory_dir(leaf_cgroup(container_id)), "memory.limit_in_bytes")) as f:
        assert int(f.read()) == 256 * 1024 * 1024
    sb.stdin.write(b"go\n")
    sb.stdin.drain()
    sb.wait()
    pid, hostname, cwd, interfaces = sb.stdout.read().split()
    assert int(pid) < 10 and hostname == container_id   # its own pid and uts namespaces
    assert cwd == "/tmp" and interfaces == "1"   # loopback only
    assert sb.returncode == 0


def test_a_pool_of_twenty_leaves_nothing_behind(crun, app):
    # a twentieth of a core each: twenty of Modal's default 0.125 would not fit a machine of two cores
    pool = [leveret.Sandbox.create(app=app, tags={"pool": "1"}, cpu=0.05) for _ in range(20)]

    def use(i_sb):
        i, sb = i_sb
        sb.wait_until_ready(timeout=60)
        p = sb.exec("sh", "-c", f"echo {i}; cat /proc/1/cmdline | tr '\\0' ' '")
        out = p.stdout.read()
        assert p.wait() == 0
        return out

    with concurrent.futures.ThreadPoolExecutor(20) as ex:
        outs = list(ex.map(use, enumerate(pool)))
    for i, out in enumerate(outs):
        first, init = out.split("\n", 1)
        assert first == str(i) and "busybox sleep" in init   # each its own container, sleeping
    containers = {crun.server.dispatcher.sandboxes.get(sb.object_id).container_id for sb in pool}
    assert len(containers) == 20
    nets = [crun.agent.runtime.networks.of(ct) for ct in containers]   # each a private network of its own
    assert len({n.netns for n in nets}) == 20
    for sb in pool:
        sb.terminate()
    for sb in pool:
        sb.wait(raise_on_termination=False)
    crun.wait_for(lambda d: not (containers & set(crun.agent.tasks)), timeout=60)
    bundles = os.path.join(crun.directory, "worker", "bundles")
    assert not containers & set(os.listdir(bundles))
    with open("/proc/self/mountinfo") as f:
        mounts = f.read()
    assert not any(ct in mounts for ct in containers)
    for ct in containers:
        assert not any(os.path.exists(p) for p in cgroups.paths(cgroup_of(ct)))
    for net in nets:   # no network namespace, veth or slot left
        assert not os.path.exists(net.netns) and not os.path.exists(f"/sys/class/net/{net.veth}")
        assert not os.path.exists(os.path.join(network.RUN_DIR, str(net.slot)))
    leftover = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if b"/opt/leveret/busybox" in cmd or any(ct.encode() in cmd for ct in containers):
                leftover.append(cmd)
    assert leftover == []


def test_a_volume_in_a_sandbox_keeps_what_it_wrote(crun, app):
    with leveret.Volume.ephemeral() as vol:
        sb = leveret.Sandbox.create("sh", "-c", "echo kept > /cache/a.txt && cat /cache/seed.txt", app=app,
                                    volumes={"/cache": vol})
        sb.wait()
        assert sb.returncode == 1   # no seed yet: its stderr says so
        assert "seed.txt" in sb.stderr.read()
        assert b"".join(vol.read_file("a.txt")) == b"kept\n"


def test_a_snapshot_is_an_image_of_only_the_diff_for_new_sandboxes_and_functions(crun, app):
    import json

    sb = leveret.Sandbox.create(app=app)
    sb.wait_until_ready()
    p = sb.exec("sh", "-c", "echo made > /root/new.txt && rm /etc/debian_version && mkdir -p /srv/d && echo x > /srv/d/f")
    assert p.wait() == 0
    image = sb.snapshot_filesystem()
    assert sb.poll() is None   # it goes on after (paused only while its files were read)
    sb.terminate()
    snapshot = json.loads(image.to_json())[-1]
    assert snapshot["op"] == "snapshot" and snapshot["size"] < 1024 * 1024   # the diff, not the image
    again = leveret.Sandbox.create("sh", "-c", "cat /root/new.txt /srv/d/f; test -e /etc/debian_version; echo $?",
                                   app=app, image=image)
    again.wait()
    assert again.stdout.read() == "made\nx\n1\n"   # its deletion too

    fn_app = leveret.App("snapshot-function-" + secrets.token_hex(3))

    @fn_app.function(image=image, serialized=True)
    def look():
        with open("/root/new.txt") as f:
            return f.read(), os.path.exists("/etc/debian_version")

    with fn_app.run(show_logs=False):
        assert look.remote() == ("made\n", False)


def test_a_tcp_readiness_probe_sees_the_sandboxs_own_network(crun, app):
    server = "import socket, time; time.sleep(1); s = socket.socket(); s.bind(('127.0.0.1', 8123)); s.listen(); time.sleep(60)"
    sb = leveret.Sandbox.create("python3", "-c", server, app=app, block_network=True,
                                readiness_probe=leveret.Probe.with_tcp(8123))
    sb.wait_until_ready(timeout=60)
    p = sb.exec("python3", "-c", "import socket; socket.create_connection(('127.0.0.1', 8123)); print('up')")
    assert p.stdout.read() == "up\n"
    sb.terminate()


def test_image_build_builds_now_and_says_why_it_cannot(crun, app):
    marker = secrets.token_hex(4)
    image = leveret.Image.debian_slim().run_commands(f"echo {marker} > /built.txt")
    assert image.build(app) is image
    sb = leveret.Sandbox.create("cat", "/built.txt", app=app, image=image)
    sb.wait()
    assert sb.stdout.read() == f"{marker}\n"
    broken = leveret.Image.debian_slim().run_commands("echo failing-step >&2; exit 3")
    with pytest.raises(leveret.exception.ExecutionError, match="failing-step"):
        broken.build(app)


def test_a_create_like_the_last_one_takes_a_warm_sandbox(tmp_path):
    from leveret.testing import Cluster

    with Cluster(tmp_path, runtime="crun", max_containers=8, warm_sandboxes=2) as c:
        app = leveret.App.lookup("warm-sandboxes-" + secrets.token_hex(3), create_if_missing=True)
        first = leveret.Sandbox.create("true", app=app, cpu=0.05)
        first.wait()
        warm = c.agent.warm_sandboxes

        def ready():
            return len(warm.tasks) == 2 and all(t.handle is not None for t in warm.tasks)

        c.wait_for(lambda d: ready(), timeout=60)
        started = {t.handle.container_id for t in warm.tasks}
        sb = leveret.Sandbox.create("sh", "-c", 'echo "$FOO"; pwd; cat', app=app, cpu=0.05, env={"FOO": "it's  here"},
                                    workdir="/srv/w", outbound_cidr_allowlist=["198.51.100.0/24"])
        sb.wait_until_ready()
        ct = c.server.dispatcher.sandboxes.get(sb.object_id).container_id
        handle = c.agent.tasks[ct].handle
        assert handle.container_id in started and handle.container_id != ct   # a warm one, now the sandbox's
        assert c.agent.runtime.networks.of(handle.container_id).limited   # its allowlist, applied when taken
        sb.stdin.write(b"from stdin\n")
        sb.stdin.write_eof()
        sb.stdin.drain()
        sb.wait()
        assert sb.returncode == 0
        assert sb.stdout.read() == "it's  here\n/srv/w\nfrom stdin\n"
        idle = leveret.Sandbox.create(app=app, cpu=0.05)   # no command: it sleeps, as a cold one does
        idle.wait_until_ready()
        p = idle.exec("sh", "-c", "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done")
        assert "/opt/leveret/busybox sleep 2147483647" in p.stdout.read() and p.wait() == 0
        p = idle.exec("sh", "-c", "stty size; tty", pty=True)   # a terminal made by crun, inside it
        assert p.wait() == 0 and p.stdout.read().replace("\r\n", "\n").startswith("24 80\n/dev/pts/")
        idle.terminate()
        on_terminal = leveret.Sandbox.create("sh", "-c", "tty; exit 3", app=app, cpu=0.05, pty=True)   # never warm
        on_terminal.wait()
        assert on_terminal.returncode == 3 and on_terminal.stdout.read().startswith("/dev/pts/")
        other = leveret.Sandbox.create("true", app=app, cpu=0.1)   # another kind: cold, and the warm ones follow it
        other.wait()
        c.wait_for(lambda d: ready() and {round(t.warm_sandbox.cpu, 3) for t in warm.tasks} == {0.1}, timeout=30)


def test_a_directory_snapshot_mounts_read_only_in_another_running_sandbox(crun, app):
    source = leveret.Sandbox.create(app=app, cpu=0.05)
    source.wait_until_ready()
    p = source.exec("sh", "-c", "mkdir -p /work/sub && echo one > /work/a.txt && echo two > /work/sub/b.txt"
                    " && ln -s a.txt /work/link && chown 1000:1000 /work/sub/b.txt")
    assert p.wait() == 0
    image = source.snapshot_directory("/work")
    source.terminate()
    target = leveret.Sandbox.create(app=app, cpu=0.05)
    target.wait_until_ready()
    p = target.exec("sh", "-c", "mkdir -p /mnt/w && echo before > /mnt/w/old.txt")
    assert p.wait() == 0
    target.mount_image("/mnt/w", image)
    p = target.exec("sh", "-c", "cat /mnt/w/a.txt /mnt/w/sub/b.txt /mnt/w/link; stat -c '%u:%g' /mnt/w/sub/b.txt;"
                    " test -e /mnt/w/old.txt || echo hidden; touch /mnt/w/new 2>&1 | grep -c 'Read-only'")
    assert p.stdout.read() == "one\ntwo\none\n1000:1000\nhidden\n1\n" and p.wait() == 0
    target.mount_image("/srv/deep/er", image)   # where nothing was: made
    assert target.filesystem.read_text("/srv/deep/er/a.txt") == "one\n"
    target.unmount_image("/mnt/w")
    assert target.filesystem.read_text("/mnt/w/old.txt") == "before\n"   # what was there shows again
    with pytest.raises(leveret.exception.NotFoundError, match="nothing was mounted at /mnt/w"):
        target.unmount_image("/mnt/w")
    with pytest.raises(leveret.exception.InvalidError, match="not a system to run"):
        leveret.Sandbox.create(app=app, image=image)
    target.terminate()
