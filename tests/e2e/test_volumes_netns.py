"""A Volume written on one host and read on another: a server and two workers, each in its own
network namespace, the workers labelled region=a and region=b; a file committed by a container on
the first is read, after reload(), by a container on the second (its chunks sent and fetched over
the network, into that worker's own cache: the namespaces share one disk, so the workers are told not
to use the server's chunk store directly). The writer's secret reaches the first worker only: the second's log
and files never hold its value."""

import os
import re
import signal
import subprocess

import pytest
from netns import Network, require_netns
from procs import APPS, ROOT, LineLog, clean_env, leveret_cmd

pytestmark = pytest.mark.e2e

APP = os.path.join(APPS, "volume_hosts.py")
PORT = 7070
TOKEN = "netns-volume-token"
SECRET_VALUE = "sv-" + __import__("secrets").token_hex(8)   # the writer's secret: in the client's environment only


def test_a_file_committed_on_one_host_is_read_on_another(tmp_path):
    require_netns()
    with Network(3) as network:
        server_host, host_a, host_b = network.hosts
        url = f"http://{server_host.address}:{PORT}"
        server = network.run_in(
            server_host, leveret_cmd("server", "--listen", f"{server_host.address}:{PORT}", "--db",
                                     f"sqlite:///{tmp_path}/state.db", "--token", TOKEN),
            env=clean_env(tmp_path / "server"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs, logs = [server], [LineLog(server.stdout)]
        try:
            logs[0].wait_for_line("listening on")
            for host, region in ((host_a, "a"), (host_b, "b")):
                worker = network.run_in(
                    host, leveret_cmd("worker", "--server", url, "--token", TOKEN, "--workdir",
                                      str(tmp_path / region / "worker"), "--label", f"region={region}",
                                      "--chunks-over-rpc",   # as on hosts that do not share the server's disk
                                      "--host-network"),   # (a container's address names its host)
                    env=clean_env(tmp_path / region), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                procs.append(worker)
                logs.append(LineLog(worker.stdout))
                logs[-1].wait_for_line(r"registered as wk-")
            env = clean_env(tmp_path / "client", LEVERET_SERVER_URL=url, LEVERET_TOKEN=TOKEN, HOSTS_SECRET=SECRET_VALUE)
            done = subprocess.run(leveret_cmd("run", APP, "--peer", server_host.address, "--text", "across hosts"),
                                  env=env, cwd=ROOT,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stdout + done.stderr
            assert re.search(rf"^before None on {host_b.address}$", done.stdout, re.M), done.stdout
            assert re.search(rf"^wrote on {host_a.address}$", done.stdout, re.M), done.stdout
            assert re.search(rf"^read across hosts {20 * 1024 * 1024} on {host_b.address}$", done.stdout, re.M), \
                done.stdout
            cache_b = tmp_path / "b" / "worker" / "volume-chunks"
            assert sum(len(files) for _, _, files in os.walk(cache_b)) >= 4   # the text's chunk and the big file's three
            assert SECRET_VALUE not in logs[2].text()
            for root, _, files in os.walk(tmp_path / "b"):
                for name in files:
                    path = os.path.join(root, name)
                    if os.path.isfile(path) and not os.path.islink(path):
                        with open(path, "rb") as f:
                            assert SECRET_VALUE.encode() not in f.read(), path
        finally:
            for p in reversed(procs):
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
            for name, log in zip(["server", "worker a", "worker b"], logs):
                print(f"--- {name}\n{log.text()}")
