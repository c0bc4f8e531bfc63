"""The server SIGKILLed during a .map of 1,000 and a spawn of 1,000, on SQLite and on PostgreSQL,
then started again on the same store and port: every acknowledged input has exactly one result for
its caller; executions beyond one per input are counted and reported; the worker's running
containers are not killed; afterwards the worker's allocations are back to idle."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from e2e.procs import ROOT, TOKEN, LineLog, Procs, clean_env, free_port, leveret_cmd, wait_until

pytestmark = pytest.mark.e2e

N = 1000
CLIENT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from apps import server_killed as s

    directory, n = sys.argv[2], int(sys.argv[3])
    with s.app.run(show_logs=False):
        calls = [s.record.spawn(n + i, directory) for i in range(n)]
        print("spawned", flush=True)
        mapped = list(s.record.map(range(n), kwargs={"directory": directory}))
        spawned = [c.get(timeout=300) for c in calls]
    print(json.dumps({"mapped": mapped, "spawned": spawned}), flush=True)
""")


def executions(directory) -> dict[int, list[int]]:
    """Each input's executions: the pids of the containers that ran it."""
    found = {}
    for name in os.listdir(directory):
        with open(os.path.join(directory, name)) as f:
            found[int(name)] = [int(line) for line in f.read().split()]
    return found


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_a_killed_server_loses_no_acknowledged_input_and_kills_no_running_container(tmp_path, store, request,
                                                                                   record_property):
    db = request.getfixturevalue("postgres_url") if store == "postgresql" else f"sqlite:///{tmp_path}/state.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    procs = Procs(tmp_path)
    server_args = ("server", "--listen", f"127.0.0.1:{port}", "--db", db, "--token", TOKEN, "--http", "127.0.0.1:0",
                   "--gateway", "127.0.0.1:0")
    directory = tmp_path / "executions"
    directory.mkdir()
    client = None
    try:
        server, log = procs.start(*server_args)
        log.wait_for_line("listening on")
        procs.url = url
        _, worker_log = procs.worker(tmp_path / "worker", "--runtime", "process", "--max-containers", "4")
        worker_log.wait_for_line("registered as")
        env = clean_env(tmp_path / "client-home", LEVERET_SERVER_URL=url, LEVERET_TOKEN=TOKEN)
        client = subprocess.Popen([sys.executable, "-c", CLIENT, os.path.join(ROOT, "tests"), str(directory), str(N)],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out = LineLog(client.stdout)
        out.wait_for_line("spawned", timeout=120)
        wait_until(lambda: len(os.listdir(directory)) >= N + N // 4, "a quarter of the map ran", timeout=120)

        server.send_signal(signal.SIGKILL)
        server.wait(10)
        running = {pid for pids in executions(directory).values() for pid in pids}   # the containers at the kill
        time.sleep(1.0)
        _, log = procs.start(*server_args)
        log.wait_for_line("listening on")
        assert all(os.path.exists(f"/proc/{pid}") for pid in running), "a running container died with the server"

        assert client.wait(300) == 0, client.stderr.read()[-3000:]
        results = json.loads(out.wait_for_line(r"^\{").string)
        assert [r[0] for r in results["mapped"]] == [x * x for x in range(N)]
        assert [r[0] for r in results["spawned"]] == [x * x for x in range(N, 2 * N)]
        ran = executions(directory)
        assert sorted(ran) == list(range(2 * N))   # each ran, and its one result came back (above)
        extra = sum(len(pids) - 1 for pids in ran.values())
        record_property("extra_executions", extra)
        print(f"{store}: {extra} extra execution(s) of {2 * N} inputs")
        assert extra <= 16, f"{extra} inputs ran more than once"
        assert running & {pid for _, pid in results["mapped"] + results["spawned"]}, \
            "no container that ran before the kill ran an input after it"

        def idle():
            done = subprocess.run(leveret_cmd("workers", "--json"), env=env, capture_output=True, text=True, timeout=30)
            workers = [json.loads(line) for line in done.stdout.splitlines()]
            return len(workers) == 1 and not workers[0].get("cpu_reserved") and not workers[0].get("containers")

        wait_until(idle, "the worker's allocations back to idle", timeout=60)
    finally:
        if client is not None:
            if client.poll() is None:
                client.kill()
                client.wait(10)
            client.stderr.close()
        procs.stop()
