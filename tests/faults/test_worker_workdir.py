"""What a worker leaves on its host: a killed worker's socket directories are removed by the next
worker on its workdir, and a second worker on a running worker's workdir refuses, touching nothing."""

import glob
import os
import shutil
import signal
import subprocess
import tempfile

import pytest

from e2e.procs import ROOT, TOKEN, leveret_cmd, wait_until

pytestmark = pytest.mark.e2e

HELLO = os.path.join(ROOT, "examples", "hello.py")


@pytest.fixture
def short_tmp():
    """A temp dir for the workers (their sockets): short, and only theirs. Ask for it before ``procs``,
    so that it outlives them."""
    path = tempfile.mkdtemp(prefix="lvt")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def sockets(tmp: str) -> list[str]:
    return glob.glob(os.path.join(tmp, "*", "ct-*", "sock"))


def connected(socket_path: str) -> bool:
    """Someone (a container's bootstrap) is connected to the unix socket listening at ``socket_path``."""
    with open("/proc/net/unix") as f:   # Num RefCount Protocol Flags Type St Inode Path; St 03: connected
        return any(len(fields) == 8 and fields[5] == "03" and fields[7] == socket_path
                   for fields in map(str.split, f))


def test_a_killed_workers_socket_directories_are_removed_by_the_next_worker_on_its_workdir(short_tmp, procs, tmp_path):
    env = {**procs.env, "TMPDIR": short_tmp}
    workdir = tmp_path / "worker"
    first, first_log = procs.worker(workdir, "--runtime", "process", "--warm-containers", "1", env=env)
    first_log.wait_for_line("registered as")
    left = wait_until(lambda: sockets(short_tmp), "its warm container's socket")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert all(map(os.path.exists, left))   # what a killed worker leaves

    second, second_log = procs.worker(workdir, "--runtime", "process", "--warm-containers", "1", env=env)
    second_log.wait_for_line("registered as")
    wait_until(lambda: set(sockets(short_tmp)) - set(left), "the second worker's warm container's socket")
    assert not any(os.path.exists(os.path.dirname(s)) for s in left), os.listdir(short_tmp)
    assert len(os.listdir(short_tmp)) == 1, os.listdir(short_tmp)   # the second worker's socket directory only
    second.send_signal(signal.SIGTERM)
    assert second.wait(15) == 0
    assert os.listdir(short_tmp) == []


def tree(workdir) -> set[str]:
    """What is in a worker's workdir, two levels deep (its containers, their bundles, ...)."""
    return {os.path.relpath(p, workdir) for pattern in ("*", "*/*") for p in glob.glob(os.path.join(workdir, pattern))}


def test_a_second_worker_on_a_running_workers_workdir_refuses_at_once_and_touches_nothing(short_tmp, procs, tmp_path):
    workdir = tmp_path / "worker"
    # (--host-network: a container's end of its socket is in its network namespace's /proc/net/unix,
    # which is where connected() looks)
    first, first_log = procs.worker(workdir, "--warm-containers", "1", "--host-network",
                                    env={**procs.env, "TMPDIR": short_tmp})
    first_log.wait_for_line("registered as")   # its default runtime: crun as root, else process
    warm = wait_until(lambda: [s for s in sockets(short_tmp) if connected(s)], "its warm container's bootstrap")
    before = tree(workdir)

    second = subprocess.run(leveret_cmd("worker", "--server", procs.url, "--token", TOKEN, "--workdir", str(workdir)),
                            env=procs.env, capture_output=True, text=True, timeout=30)
    assert second.returncode not in (0, None), second
    assert "Traceback" not in second.stderr, second.stderr
    assert second.stderr.strip() == (f"Error: another worker (pid {first.pid}) is running on the workdir {workdir}:"
                                     " stop it, or start this one with another --workdir"), second.stderr
    assert first.poll() is None and tree(workdir) == before and all(map(connected, warm))

    env = {**procs.env, "LEVERET_SERVER_URL": procs.url, "LEVERET_TOKEN": TOKEN}
    done = subprocess.run(leveret_cmd("run", HELLO, "--n", "3"), env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "5" in done.stdout.splitlines()
    assert first.poll() is None
