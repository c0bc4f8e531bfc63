"""A server and three workers, each in its own network namespace as if on its own host; one host dies mid-map."""

import asyncio
import dataclasses
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from _postgres import start_for_tests
from netns import Host, Network, require_netns
from procs import APPS, ROOT, LineLog, clean_env, leveret_cmd

pytestmark = pytest.mark.e2e

CLUSTER_APP = os.path.join(APPS, "cluster.py")
PORT = 7070          # each host has its own namespace, so no other process holds it
TOKEN = "netns-token-123"
N_WORKERS = 3
N_INPUTS = 200
DELAY = 0.15         # seconds per input
VICTIM_DELAY = 1.0   # on the worker that is killed: it dies with inputs surely running, whose starts the test saw
SLOTS = 2            # containers per worker: the map takes about 8 s
LEASE = 3.0          # seconds a worker may be silent before the server marks it down


@pytest.fixture
def network():
    require_netns()
    with Network(1 + N_WORKERS) as net:
        yield net


@pytest.fixture
def store_url(network):
    """The server's store: a real PostgreSQL in the root namespace, listening also on the bridge
    (``network.gateway``), which is how the server's namespace reaches it."""
    pg = start_for_tests(also_listen_on=network.gateway, trusted_net=f"{network.gateway}/24")
    try:
        yield pg.new_database().replace("@127.0.0.1:", f"@{network.gateway}:")
    finally:
        pg.stop()


@dataclasses.dataclass
class Worker:
    host: Host
    proc: subprocess.Popen
    log: LineLog
    worker_id: str
    workdir: str
    argv: list


@dataclasses.dataclass
class NetnsCluster:
    network: Network
    server: Host
    server_log: LineLog
    workers: list[Worker]
    client_env: dict


@pytest.fixture
def netns_cluster(tmp_path, network, store_url, request):
    """`leveret server` on the first host, listening on its bridge address only, and a worker on each other host;
    its --worker-lease is LEASE, or the test's indirect parameter.

    Workers use the default runtime: crun where it can run, with --host-network: their containers
    share their worker's network namespace (as the process runtime's do), so a result's address
    names its host."""
    server_host, *worker_hosts = network.hosts
    url = f"http://{server_host.address}:{PORT}"
    server = network.run_in(
        server_host, leveret_cmd("server", "--listen", f"{server_host.address}:{PORT}", "--db", store_url, "--token", TOKEN,
                                 "--worker-lease", str(getattr(request, "param", LEASE))),
        env=clean_env(tmp_path / server_host.name), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server_log = LineLog(server.stdout)
    workers = []
    admin_env = clean_env(tmp_path / "client", LEVERET_SERVER_URL=url, LEVERET_TOKEN=TOKEN)
    try:
        server_log.wait_for_line("listening on")
        for host in worker_hosts:
            workdir = str(tmp_path / host.name / "worker")
            made = subprocess.run(leveret_cmd("token", "create", host.name), env=admin_env, capture_output=True,
                                  text=True, timeout=60)
            assert made.returncode == 0, made.stderr
            token = re.search(r"lvw_\S+", made.stdout).group(0)   # each host's worker joins with its own token
            argv = leveret_cmd("worker", "--server", url, "--token", token, "--workdir", workdir,
                               "--max-containers", str(SLOTS), "--host-network")
            proc = network.run_in(host, argv, env=clean_env(tmp_path / host.name), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
            workers.append(Worker(host, proc, LineLog(proc.stdout), "", workdir, argv))
        for w in workers:
            w.worker_id = w.log.wait_for_line(r"registered as (wk-\w+)").group(1)
        yield NetnsCluster(network, server_host, server_log, workers, admin_env)
    finally:
        # Stopped in order, so each worker removes its containers; the network kills what is left.
        for p in [w.proc for w in workers] + [server]:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                pass
        network.close()
        for w in workers:
            remove_containers_left_by(w)
        for name, log in [("server", server_log)] + [(f"worker {w.host.name}", w.log) for w in workers]:
            print(f"--- {name}\n{log.text()}")   # shown when the test failed


def remove_containers_left_by(worker: Worker) -> None:
    """What a killed worker did not get to: each container's runtime state, cgroups and root mount."""
    bundles = os.path.join(worker.workdir, "bundles")
    if not os.path.isdir(bundles) or not os.listdir(bundles):
        return
    from leveret.worker.runtime.oci import CrunRuntime

    asyncio.run(CrunRuntime(worker.workdir).remove_leftovers())


PROBE = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5).close()
    print("connected")
except OSError as exc:
    print(type(exc).__name__)
"""


def probe(network, host, address):
    proc = network.run_in(host, [sys.executable, "-c", PROBE, address, str(PORT)], stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=30)
    return out.strip()


def test_each_namespace_is_a_host_of_its_own(network):
    a, b, *_ = network.hosts
    listener = network.run_in(
        a, [sys.executable, "-c", "import socket\ns = socket.create_server(('0.0.0.0', %d))\nprint('up', flush=True)\n"
                              "while True: s.accept()[0].close()" % PORT],
        stdout=subprocess.PIPE, text=True)
    LineLog(listener.stdout).wait_for_line("up")
    assert probe(network, a, "127.0.0.1") == "connected"
    assert probe(network, b, "127.0.0.1") == "ConnectionRefusedError"   # b's loopback is b's own
    assert probe(network, b, a.address) == "connected"                  # a is reached over the bridge
    root = subprocess.run([sys.executable, "-c", PROBE, a.address, str(PORT)], capture_output=True, text=True, timeout=30)
    assert root.stdout.strip() == "connected"                           # and from the root namespace, by the gateway


RESULT = re.compile(r"^result (\d+) (\d+) (\S+)$")
START = re.compile(r"\] start (\d+) on (\S+)$")   # a function's stderr line, attributed to its container


def results(lines):
    return [(int(m[1]), int(m[2]), m[3]) for line in lines if (m := RESULT.match(line.strip()))]


def started(lines):
    return [(int(m[1]), m[2]) for line in lines if (m := START.search(line.strip()))]


def map_losing_a_host(cluster, lose, what: str):
    """Run a map over every worker; once a third is done and the last worker runs inputs whose start
    the test saw, ``lose(victim)``; check the map still returns each result exactly once.

    Returns the victim and the inputs it was running when it was lost."""
    addresses = {w.host.address for w in cluster.workers}
    victim = cluster.workers[-1]
    client = subprocess.Popen(
        leveret_cmd("run", f"{CLUSTER_APP}::fan_out", "--n", str(N_INPUTS), "--peer", cluster.server.address,
                    "--delay", str(DELAY), "--slow-on", victim.host.address, "--slow-delay", str(VICTIM_DELAY)),
        env=cluster.client_env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = LineLog(client.stdout), LineLog(client.stderr)
    try:
        def all_served(lines):
            """A third of the map is done and every worker has served inputs."""
            got = results(lines)
            served = {a: sum(1 for *_, addr in got if addr == a) for a in addresses}
            return len(got) >= N_INPUTS // 3 and min(served.values()) >= 2 and served
        served = out.wait_until(all_served, timeout=60, what="every worker served inputs")

        def victim_running(err_lines):
            done = {x for x, *_ in results(out.lines)}
            return [x for x, addr in started(err_lines) if addr == victim.host.address and x not in done]
        running = err.wait_until(victim_running, timeout=30, what="the victim started an input")
        lose(victim)
        done_at_loss = len(results(out.lines))
        try:
            rc = client.wait(60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the map did not finish within 60 s of the victim being {what}: {len(results(out.lines))}"
                        f" of {N_INPUTS} results\n{cluster.server_log.text()}")
        out.wait_closed()
        err.wait_closed()
        assert rc == 0, err.text()
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    got = results(out.lines)
    xs = [x for x, *_ in got]
    missing, twice = set(range(N_INPUTS)) - set(xs), {x for x in xs if xs.count(x) > 1}
    assert sorted((x, sq) for x, sq, _ in got) == [(x, x * x) for x in range(N_INPUTS)], (   # each exactly once
        f"missing {sorted(missing)}, twice {sorted(twice)}; the victim was running {running} when it was {what};"
        f" where those started: {[(x, a) for x, a in started(err.lines) if x in missing | twice]}")
    assert done_at_loss < N_INPUTS
    assert {addr for *_, addr in got} == addresses and served[victim.host.address] >= 2
    # What the victim was running when it was lost ran again on a survivor.
    ran_at = {x: addr for x, _, addr in got}
    assert any(ran_at[x] != victim.host.address for x in running), (running, ran_at)
    for w in cluster.workers[:-1]:
        assert w.proc.poll() is None, w.log.text()   # the survivors are still up
    return victim, running


def test_a_map_completes_when_a_worker_host_dies(netns_cluster):
    cluster = netns_cluster
    victim, _ = map_losing_a_host(cluster, lambda v: cluster.network.kill_host(v.host), "killed")
    # The server saw the worker go, with the containers it had there.
    logs = subprocess.run(leveret_cmd("logs", "cluster"), env=cluster.client_env, capture_output=True, text=True, timeout=30)
    assert logs.returncode == 0, logs.stderr
    assert f"leveret: worker {victim.worker_id} disconnected" in logs.stderr   # system lines go to stderr
    # The host comes back: its new worker first removes what the killed one's containers held.
    left = os.listdir(os.path.join(victim.workdir, "bundles"))
    assert left, "the killed worker's containers left nothing behind: the check below would prove nothing"
    victim.proc = cluster.network.run_in(victim.host, victim.argv, env=clean_env(victim.workdir), stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True)
    victim.log = LineLog(victim.proc.stdout)
    victim.log.wait_for_line(rf"removed {len(left)} container\(s\) left by an earlier worker here")
    victim.log.wait_for_line(r"registered as wk-")
    assert os.listdir(os.path.join(victim.workdir, "bundles")) == []


def test_a_worker_cut_off_past_its_lease_is_marked_down_and_its_late_results_are_dropped(netns_cluster, store_url):
    """The victim's host loses its link: its worker and containers live on, finish what they ran and
    try to send the results. The server marks it down after its lease, runs those inputs elsewhere,
    and when the link comes back, drops what the victim still sent: one result per input. The
    victim reconnects under its id, learns why it was cut off, and keeps running."""
    cluster = netns_cluster
    victim, running = map_losing_a_host(cluster, lambda v: cluster.network.cut(v.host), "cut off")
    cluster.server_log.wait_for_line(rf"worker {victim.worker_id} marked down: it sent nothing for \d+ s \(lease {LEASE:g} s\)")
    cluster.network.mend(victim.host)
    victim.log.wait_for_line(rf"registered as {victim.worker_id} again", timeout=60)
    victim.log.wait_for_line(r"the server had ended this worker's last stream: marked down: it sent nothing for")
    assert victim.proc.poll() is None, victim.log.text()
    import psycopg

    with psycopg.connect(store_url) as db:
        (call_id,) = db.execute("SELECT id FROM calls WHERE kind = 'map'").fetchone()
        per_input = db.execute("SELECT input_id, COUNT(*) FROM outputs WHERE call_id = %s GROUP BY input_id",
                               (call_id,)).fetchall()
    assert len(per_input) == N_INPUTS and all(n == 1 for _, n in per_input)


def test_the_gateway_reaches_web_containers_on_other_hosts(netns_cluster):
    """Six slow requests at once want six containers, more than one host holds (two each): they are
    answered, through the server's gateway, from containers on several hosts."""
    import concurrent.futures
    import urllib.request

    deployed = subprocess.run(leveret_cmd("deploy", CLUSTER_APP), env=netns_cluster.client_env, capture_output=True,
                              text=True, timeout=120, cwd=ROOT)
    assert deployed.returncode == 0, deployed.stderr
    url = re.search(r"where\s+=> (http://\S+)", deployed.stdout).group(1)
    assert url == f"http://{netns_cluster.server.address}:{PORT + 2}/cluster/where"

    def ask(i):
        with urllib.request.urlopen(f"{url}?delay=3", timeout=120) as r:
            return r.read().decode()

    with concurrent.futures.ThreadPoolExecutor(N_WORKERS * SLOTS) as pool:
        answered = list(pool.map(ask, range(N_WORKERS * SLOTS)))
    hosts = {w.host.address for w in netns_cluster.workers}
    assert set(answered) <= hosts and len(set(answered)) >= 2, answered


BLACKOUT_LEASE = 10.0


@pytest.mark.parametrize("netns_cluster", [BLACKOUT_LEASE], indirect=True)
def test_blackouts_below_the_lease_mark_no_worker_down_and_run_nothing_twice(netns_cluster):
    """The server's host loses its link for 2 s every 10 s for a minute (its lease: 10 s) while a map
    runs on every worker: nobody is marked down, no input starts twice, each result arrives once."""
    cluster = netns_cluster
    n = 540   # 0.6 s each on six slots: about a minute of work, through every blackout
    client = subprocess.Popen(
        leveret_cmd("run", f"{CLUSTER_APP}::fan_out", "--n", str(n), "--peer", cluster.server.address,
                    "--delay", "0.6"),
        env=cluster.client_env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = LineLog(client.stdout), LineLog(client.stderr)
    try:
        out.wait_until(lambda lines: len(results(lines)) >= 6, timeout=60, what="the map started")
        for _ in range(6):
            cluster.network.cut(cluster.server)
            time.sleep(2.0)
            cluster.network.mend(cluster.server)
            time.sleep(8.0)
        assert client.wait(120) == 0, err.text()
        out.wait_closed()
        err.wait_closed()
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    xs = sorted(x for x, *_ in results(out.lines))
    assert xs == list(range(n)), f"missing {sorted(set(range(n)) - set(xs))}, twice {[x for x in set(xs) if xs.count(x) > 1]}"
    starts = [x for x, _ in started(err.lines)]
    assert sorted(starts) == list(range(n)), f"started twice: {sorted({x for x in starts if starts.count(x) > 1})}"
    assert "marked down" not in cluster.server_log.text()
    assert all(w.proc.poll() is None for w in cluster.workers)
