"""Deploying through the CLI against real server and worker processes."""

import json
import os
import re
import subprocess
import sys

import pytest

from procs import ROOT, leveret_cmd

pytestmark = pytest.mark.e2e

ETL = os.path.join(ROOT, "examples", "etl.py")


def run(args, env, timeout=120):
    done = subprocess.run(leveret_cmd(*args), env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def call(env, code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, cwd="/")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_deploy_call_by_name_describe_redeploy_history_rollback_stop(cluster_processes):
    env = cluster_processes["env"]
    out = run(["deploy", ETL], env)
    assert re.search(r"deployed etl version 1 \(ap-", out)
    assert "nightly  schedule Cron('0 6 * * *', timezone='Europe/Stockholm')" in out
    assert "etl" in run(["app", "list"], env)

    transform = "import leveret; f = leveret.Function.from_name('etl', '{}'); print({})"
    assert call(env, transform.format("transform", "f.remote(21)")) == "42"
    assert call(env, transform.format("fetch", "sorted(f.map(['a', 'bb', 'ccc']))")) == "[1, 2, 3]"

    described = run(["function", "describe", "etl", "transform"], env)
    assert "function etl v1/transform" in described
    assert "min_containers=1, buffer_containers=2" in described
    assert "ready" in described
    assert "schedule:   {\"cron\": \"0 6 * * *\", \"timezone\": \"Europe/Stockholm\"}; next tick" in \
        run(["function", "describe", "etl", "nightly"], env)

    assert "deployed etl version 2" in run(["deploy", ETL], env)
    history = run(["app", "history", "etl"], env)
    assert re.search(r"etl\s+v2\s+deployed \(live\)", history)
    assert re.search(r"etl\s+v1\s+(draining|stopped)", history)
    assert [v["version"] for v in map(json.loads, run(["app", "history", "etl", "--json"], env).splitlines())] == [2, 1]
    assert "rolled etl back to the functions of version 1: now version 3" in run(["app", "rollback", "etl"], env)
    assert call(env, transform.format("transform", "f.remote(5)")) == "10"

    assert "stopped etl" in run(["app", "stop", "etl"], env)
    gone = subprocess.run([sys.executable, "-c", transform.format("transform", "f.remote(1)")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert gone.returncode != 0 and "is not deployed now (version 3 is stopped)" in gone.stderr


def test_worker_tokens_and_workers_from_the_cli(cluster_processes):
    env = cluster_processes["env"]
    created = run(["token", "create", "host-x"], env)
    token = re.search(r"lvw_\S+", created).group(0)
    assert f"--token {token}" in created
    listed = run(["token", "list"], env)
    assert "host-x" in listed and "unused" in listed
    workers = run(["workers"], env)
    assert re.search(r"^wk-\S+ +\S+ +cpu [\d.]+/\d+ +memory \d+/\d+ MiB +containers \d+/\d+ +seen [\d.]+ s ago", workers, re.M)
    assert "(server token)" in workers


def test_a_bad_schedule_is_refused_at_deploy_naming_the_field(home):
    from procs import APPS, clean_env

    done = subprocess.run(leveret_cmd("deploy", os.path.join(APPS, "bad_schedule.py")), capture_output=True, text=True,
                          timeout=60, env=clean_env(home, LEVERET_SERVER_URL="http://127.0.0.1:9", LEVERET_TOKEN="t"))
    assert done.returncode == 1
    assert "Cron('0 25 * * *'): the hour field is 25, but hours run 0-23" in done.stderr
    assert "cannot reach" not in done.stderr   # refused before anything was sent


def test_container_list_exec_stop_and_function_stats(cluster_processes):
    import json
    import time

    env = cluster_processes["env"]
    run(["deploy", ETL], env)
    transform = "import leveret; f = leveret.Function.from_name('etl', 'transform'); print(sum(f.map(range(20))))"
    assert call(env, transform) == str(2 * sum(range(20)))

    listed = [json.loads(line) for line in run(["container", "list", "etl", "--json"], env).splitlines()]
    mine = [c for c in listed if c["function_name"] == "transform" and c["state"] == "ready"]
    assert mine, listed
    ct = mine[0]["container_id"]
    assert re.search(rf"^{ct} +etl +transform +ready", run(["container", "list"], env), re.M)

    done = subprocess.run(leveret_cmd("container", "exec", ct, "--", "sh", "-c", "cat /etc/hostname; echo oops >&2; exit 3"),
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert done.stdout.strip() and "oops" in done.stderr
    uname = subprocess.run(leveret_cmd("container", "exec", ct, "--", "ls", "-la", "/"), env=env, capture_output=True,
                           text=True, timeout=60)
    assert uname.returncode == 0 and " etc" in uname.stdout, uname.stderr
    # past the worker's window (EXEC_WINDOW) three times over: the server says what was taken, byte for byte
    big = subprocess.run(leveret_cmd("container", "exec", ct, "--", "head", "-c", str(12 << 20), "/dev/urandom"),
                         env=env, capture_output=True, timeout=120)
    assert big.returncode == 0 and len(big.stdout) == 12 << 20, big.stderr

    fetched = "import leveret; f = leveret.Function.from_name('etl', 'fetch'); print(f.remote('abcd'))"
    assert call(env, fetched) == "4"
    fetch_ct = [json.loads(line) for line in run(["container", "list", "etl", "--json"], env).splitlines()
                if json.loads(line)["function_name"] == "fetch"][0]["container_id"]
    done = subprocess.run(leveret_cmd("container", "logs", fetch_ct), env=env, capture_output=True, text=True,
                          timeout=60)   # the lines of one container, by its id alone
    assert done.returncode == 0 and f"[fetch {fetch_ct}] fetching abcd" in done.stdout, done.stdout + done.stderr
    assert all(f" {fetch_ct}]" in line for line in (done.stdout + done.stderr).splitlines())
    stats = run(["function", "stats", "etl", "transform"], env)
    assert re.search(r"inputs: +20 \(success 20\)", stats), stats
    assert "cold start p50" in stats

    # Listed again: the fetch container may have taken the place of an idle transform one.
    ct = [c for c in (json.loads(line) for line in run(["container", "list", "etl", "--json"], env).splitlines())
          if c["function_name"] == "transform" and c["state"] == "ready"][0]["container_id"]
    assert f"stopping {ct}" in run(["container", "stop", ct], env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = [json.loads(line) for line in run(["container", "list", "etl", "--json"], env).splitlines()]
        ids = {c["container_id"] for c in now if c["function_name"] == "transform"}
        if ct not in ids and ids:
            break   # gone, and min_containers=1 brought another
        time.sleep(0.2)
    assert ct not in ids and ids
    missing = subprocess.run(leveret_cmd("container", "exec", ct, "--", "true"), env=env, capture_output=True,
                             text=True, timeout=60)
    assert missing.returncode == 1 and "is not running" in missing.stderr
