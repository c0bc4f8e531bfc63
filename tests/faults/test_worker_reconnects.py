"""Finding (F4): a standalone worker exited when its server restarted ("cannot reach a Leveret
server", its containers stopped), and exited silently with status 0 when the server marked it down
(silent past its lease: the server ended its stream, and the worker's run loop just returned).
Now it reconnects with backoff and registers again under its id, reporting the containers it still
runs: the server keeps those whose function it still runs and stops the rest. It exits only on
SIGTERM/SIGINT or a refused token. Real processes: `leveret server --listen`, `leveret worker`
(the process runtime: isolation is not the point), `leveret deploy`, `leveret run`, the SDK."""

import json
import os
import re
import signal
import subprocess
import sys

import pytest

from e2e.procs import APPS, ROOT, LineLog, clean_env, free_port, leveret_cmd, stop_processes

pytestmark = pytest.mark.e2e

TOKEN = "reconnect-token-123"
HELLO = os.path.join(ROOT, "examples", "hello.py")
SUPERVISION = os.path.join(APPS, "supervision.py")
CALL = "import leveret, sys; print(leveret.Function.from_name('hello', 'square').remote(int(sys.argv[1])))"


class Cluster:
    """A foreground server, restartable on its port and store, and one standalone worker."""

    def __init__(self, tmp_path, *server_args: str):
        self.tmp_path = tmp_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = clean_env(tmp_path / "home")
        self.client_env = clean_env(tmp_path / "client", LEVERET_SERVER_URL=self.url, LEVERET_TOKEN=TOKEN)
        self.server_args = server_args
        self.procs: list[subprocess.Popen] = []
        self.server = self.server_log = self.worker = self.worker_log = None

    def _start(self, *args: str) -> tuple[subprocess.Popen, LineLog]:
        proc = subprocess.Popen(leveret_cmd(*args), env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        self.procs.append(proc)
        return proc, LineLog(proc.stdout)

    def start_server(self) -> None:
        self.server, self.server_log = self._start(
            "server", "--listen", f"127.0.0.1:{self.port}", "--db", f"sqlite:///{self.tmp_path}/state.db",
            "--token", TOKEN, "--http", "127.0.0.1:0", "--gateway", "127.0.0.1:0", *self.server_args)
        self.server_log.wait_for_line("listening on")

    def start_worker(self) -> str:
        self.worker, self.worker_log = self._start("worker", "--server", self.url, "--token", TOKEN, "--runtime",
                                                   "process", "--workdir", str(self.tmp_path / "worker"))
        return self.worker_log.wait_for_line(r"registered as (wk-\w+)$").group(1)

    def client(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
        done = subprocess.run(argv, env=self.client_env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def containers(self) -> dict[str, str]:
        """The server's running containers: {container_id: function name}."""
        done = self.client(*leveret_cmd("container", "list", "--json"))
        return {c["container_id"]: c["function_name"] for c in map(json.loads, done.stdout.splitlines())}

    def stop(self) -> None:
        stop_processes(self.procs, timeout=20)
        for name, log in (("server", self.server_log), ("worker", self.worker_log)):
            if log is not None:
                print(f"--- {name}\n{log.text()}")   # shown when the test failed


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def short_lease(tmp_path):
    c = Cluster(tmp_path, "--worker-lease", "2")
    try:
        yield c
    finally:
        c.stop()


def test_a_worker_outlives_its_server_restarting_and_keeps_the_containers_the_new_server_still_wants(cluster):
    cluster.start_server()
    worker_id = cluster.start_worker()
    cluster.client(*leveret_cmd("deploy", HELLO))
    assert cluster.client(sys.executable, "-c", CALL, "7").stdout.split() == ["49"]
    ephemeral = subprocess.Popen(leveret_cmd("run", f"{SUPERVISION}::slow", "--seconds", "600"), env=cluster.client_env,
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    cluster.procs.append(ephemeral)
    LineLog(ephemeral.stdout).wait_for_line(r"\] started$", timeout=120)
    before = cluster.containers()
    [deployed] = [c for c, name in before.items() if name == "square"]
    [running] = [c for c, name in before.items() if name == "slow"]

    cluster.server.send_signal(signal.SIGKILL)   # a crash: its containers are left running on the worker
    cluster.server.wait(10)
    cluster.worker_log.wait_for_line(r"lost the server at .*; connecting again in")
    cluster.start_server()                       # the same port and store: the deployed app is restored

    cluster.worker_log.wait_for_line(rf"registered as {worker_id} again, after [\d.]+ s without the server")
    kept = cluster.worker_log.wait_for_line(r"the server kept (\d+) of this worker's containers(?: \((.*)\))? and stops"
                                            r" (\d+)(?: \((.*)\))?$")
    # The deployed app's container, and the run's: the new server restored the run too (its client
    # reconnects); a container of a function the server no longer runs is stopped (tests/unit/test_reconcile.py).
    assert kept.group(1) == "2" and set(kept.group(2).split(", ")) == {deployed, running} and kept.group(3) == "0"
    assert cluster.client(sys.executable, "-c", CALL, "8").stdout.split() == ["64"]
    assert cluster.containers() == {deployed: "square", running: "slow"}   # served by the kept containers
    assert cluster.worker.poll() is None

    cluster.server.send_signal(signal.SIGTERM)   # a clean restart: it stops the containers of its apps
    assert cluster.server.wait(30) == 0
    assert "leveret server stopping: received SIGTERM" in cluster.server_log.text()
    cluster.start_server()
    cluster.worker_log.wait_until(lambda lines: len([line for line in lines if f"registered as {worker_id} again" in line])
                                  == 2, what="the second registration")
    assert cluster.client(sys.executable, "-c", CALL, "9").stdout.split() == ["81"]
    done = cluster.client(*leveret_cmd("run", HELLO, "--n", "3"))
    assert "5" in done.stdout.splitlines()
    assert cluster.worker.poll() is None
    lost = [line for line in cluster.worker_log.lines if "connecting again in" in line]
    assert len(lost) <= 4, lost   # said when a failure starts or changes, not at every attempt


def test_a_worker_marked_down_while_stopped_reconnects_when_it_runs_again(short_lease):
    cluster = short_lease
    cluster.start_server()
    worker_id = cluster.start_worker()
    cluster.worker.send_signal(signal.SIGSTOP)   # silent past its 2 s lease
    try:
        cluster.server_log.wait_for_line(rf"worker {worker_id} marked down: it sent nothing for", timeout=60)
    finally:
        cluster.worker.send_signal(signal.SIGCONT)
    cluster.worker_log.wait_for_line(rf"registered as {worker_id} again")
    # Why: on the stream it was cut off from, if it still read it, and surely once it is back.
    said = cluster.worker_log.wait_for_line(r"the server had ended this worker's last stream: marked down: (.*)$")
    assert re.match(r"it sent nothing for \d+ s \(lease 2 s\)$", said.group(1)), said.group(0)
    workers = cluster.client(*leveret_cmd("workers"))
    assert worker_id in workers.stdout
    done = cluster.client(*leveret_cmd("run", HELLO, "--n", "3"))
    assert "5" in done.stdout.splitlines()
    assert cluster.worker.poll() is None                # it never exited
    assert "leveret worker stopped" not in cluster.worker_log.text()
