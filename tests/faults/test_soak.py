"""Soak: 10,000 inputs with retries (20 ms each, on four containers: a minute of work) while, every few seconds, a container, the worker or the server
is SIGKILLed (and the worker and server started again). Every input has one result; afterwards
nothing is left behind — mounts, cgroups, bundles, network namespaces, socket directories,
container processes — and the store's calls are gone again after their retention."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from e2e.procs import ROOT, TOKEN, LineLog, Procs, clean_env, free_port, wait_until
from leveret.worker.runtime import cgroups
from leveret.worker.runtime.network import RUN_DIR
from leveret.worker.runtime.oci import cgroup_of
from leveret.worker.workdir import socket_dir_for

pytestmark = [pytest.mark.soak, pytest.mark.e2e, pytest.mark.container, pytest.mark.timeout(480)]   # minutes, by design

N = 10_000
BOOTSTRAP = b"/opt/leveret/lib/leveret/container/bootstrap.py"
CLIENT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from apps import soak

    with soak.app.run(show_logs=False):
        results = list(soak.square.map(range(int(sys.argv[2])), kwargs={"seconds": 0.02}, return_exceptions=True))
    print(json.dumps([r if isinstance(r, tuple) else repr(r) for r in results]), flush=True)
""")


def containers(socket_dir: str) -> dict[int, str]:
    """The function-container processes (their bootstrap) of the worker whose sockets are under
    ``socket_dir``: pid -> container id (another test's containers on this host are not its)."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if BOOTSTRAP not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
            if env.get(b"LEVERET_CONTAINER_SOCKET", b"").decode().startswith(socket_dir + os.sep):
                found[int(pid)] = env.get(b"LEVERET_CONTAINER_ID", b"").decode()
        except OSError:
            pass
    return found


def networks_of(workdir: str) -> list[str]:
    """The container networks (their slots' files, network.py) a worker on ``workdir`` holds."""
    found = []
    for name in os.listdir(RUN_DIR) if os.path.isdir(RUN_DIR) else []:
        try:
            with open(os.path.join(RUN_DIR, name)) as f:
                if f.read() == workdir:
                    found.append(name)
        except OSError:
            pass
    return found


def orphan_namespaces() -> set[str]:
    """Container network namespaces no slot holds (each worker's are named by a slot's file)."""
    done = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    names = {line.split()[0] for line in done.stdout.splitlines() if line.startswith("leveret-")}
    slots = set(os.listdir(RUN_DIR)) if os.path.isdir(RUN_DIR) else set()
    return {n for n in names if n.removeprefix("leveret-") not in slots}


def mounts_under(path: str) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(path)]


def stored_calls(db: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as check:
        return sum(check.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("calls", "inputs", "outputs"))


def test_10k_inputs_with_retries_through_random_kills_each_get_one_result_and_leave_nothing(tmp_path):
    if os.geteuid() != 0:
        pytest.fail("the soak test runs real containers: it needs root (CI runs as root)")
    rng = random.Random(int(os.environ.get("LEVERET_SOAK_SEED", "15")))
    port, db, workdir = free_port(), str(tmp_path / "state.db"), str(tmp_path / "worker")
    url = f"http://127.0.0.1:{port}"
    procs = Procs(tmp_path)
    procs.url = url
    server_args = ("server", "--listen", f"127.0.0.1:{port}", "--db", f"sqlite:///{db}", "--token", TOKEN,
                   "--http", "127.0.0.1:0", "--gateway", "127.0.0.1:0", "--worker-lease", "3",
                   "--call-retention", "5s")
    orphans_before, bootstraps_before = orphan_namespaces(), set(containers(socket_dir_for(workdir)))

    def start_server():
        server, log = procs.start(*server_args)
        log.wait_for_line("listening on")
        return server

    def start_worker():
        worker, log = procs.worker(workdir, "--max-containers", "4", "--wait-for-workdir", "30")
        log.wait_for_line("registered as", timeout=60)
        return worker

    server, worker = start_server(), start_worker()
    baseline = stored_calls(db)
    env = clean_env(tmp_path / "client-home", LEVERET_SERVER_URL=url, LEVERET_TOKEN=TOKEN)
    client = subprocess.Popen([sys.executable, "-c", CLIENT, os.path.join(ROOT, "tests"), str(N)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = LineLog(client.stdout)
    kills = {"container": 0, "worker": 0, "server": 0}
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + 300
        while client.poll() is None and time.monotonic() < deadline:
            time.sleep(rng.uniform(2.0, 4.0))
            if client.poll() is not None:
                break
            running = containers(socket_dir_for(workdir))
            seen |= set(running.values())
            what = rng.choice(["container", "container", "worker", "server"])
            if what == "container" and running:
                os.kill(rng.choice(sorted(running)), signal.SIGKILL)
            elif what == "worker":
                worker.send_signal(signal.SIGKILL)
                worker.wait(10)
                worker = start_worker()
            elif what == "server":
                server.send_signal(signal.SIGKILL)
                server.wait(10)
                server = start_server()
            kills[what] += 1
        assert client.wait(max(1, deadline - time.monotonic())) == 0, client.stderr.read()[-3000:]
        results = json.loads(out.wait_for_line(r"^\[").string)
        print(f"soak: {kills}; {sum(not isinstance(r, list) for r in results)} input(s) failed")
        assert sum(kills.values()) >= 5, kills
        assert len(results) == N
        failed = [(x, r) for x, r in enumerate(results) if not isinstance(r, list)]
        assert all("ended" in r or "killed" in r for _, r in failed), failed[:5]   # each its own container's end
        assert len(failed) <= N // 100, failed[:5]
        assert all(r[0] == x * x for x, r in enumerate(results) if isinstance(r, list))
        seen |= {r[1] for r in results if isinstance(r, list)}

        wait_until(lambda: stored_calls(db) <= baseline, "the store's calls deleted after their retention",
                   timeout=150)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait(10)
        client.stderr.close()
        procs.stop()   # SIGTERM: the worker removes its containers, as it stops
    assert os.listdir(os.path.join(workdir, "bundles")) == []
    assert mounts_under(workdir) == [] and mounts_under(str(tmp_path)) == []
    assert not [p for cid in seen for p in cgroups.paths(cgroup_of(cid)) if os.path.exists(p)]
    assert networks_of(workdir) == [] and orphan_namespaces() <= orphans_before
    assert not os.path.exists(socket_dir_for(workdir)) or os.listdir(socket_dir_for(workdir)) == []
    assert set(containers(socket_dir_for(workdir))) <= bootstraps_before
