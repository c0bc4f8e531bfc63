"""`leveret sandbox list | logs | exec | stop` against real server and worker processes, on a sandbox a
program made and left running."""

import subprocess
import sys

import pytest

from procs import ROOT, leveret_cmd

pytestmark = pytest.mark.e2e

MAKE = """
import leveret
app = leveret.App.lookup("sandbox-cli", create_if_missing=True)
sb = leveret.Sandbox.create("sh", "-c", "echo started up; sleep 600", app=app, name="cli-box", tags={"team": "ml"})
sb.wait_until_ready()
print(sb.object_id)
"""


def run(args, env, timeout=60):
    return subprocess.run(leveret_cmd(*args), env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_sandbox_list_logs_exec_and_stop(cluster_processes):
    env = cluster_processes["env"]
    made = subprocess.run([sys.executable, "-c", MAKE], env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    sandbox_id = made.stdout.split()[-1]
    listed = run(["sandbox", "list", "--tag", "team=ml"], env)
    assert listed.returncode == 0 and sandbox_id in listed.stdout and "cli-box" in listed.stdout, listed.stderr
    assert sandbox_id not in run(["sandbox", "list", "--tag", "team=web"], env).stdout
    done = run(["sandbox", "exec", sandbox_id, "--", "sh", "-c", "echo inside; exit 4"], env)
    assert done.returncode == 4 and done.stdout == "inside\n", done.stderr
    logs = run(["sandbox", "logs", sandbox_id], env)
    assert logs.returncode == 0 and "started up" in logs.stdout, logs.stderr
    stopped = run(["sandbox", "stop", sandbox_id], env)
    assert stopped.returncode == 0 and f"terminating {sandbox_id}" in stopped.stdout
    for _ in range(100):
        listed = run(["sandbox", "list", "--all"], env)
        if "done" in listed.stdout:
            break
    assert "terminated" in listed.stdout, listed.stdout
    refused = run(["sandbox", "exec", sandbox_id, "--", "ls"], env)
    assert refused.returncode == 1 and "is done" in refused.stderr
