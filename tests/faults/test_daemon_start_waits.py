"""Finding (F6): after the embedded daemon died with spawned inputs outstanding, `leveret server
start` gave up after a fixed 30 s while the new daemon spent 27-40 s restoring them: each input's
outputs were looked up by a column without an index, across all the outputs kept. Now restoring
reads by call (10,000 outstanding spawns beside 50,000 finished map inputs: well under a second,
where it took 95 s), and `leveret server start` waits for as long as the daemon says it is making
progress (the waiting itself: tests/unit/test_daemon_wait.py).

Real data: a deployed app's 50,000 finished inputs and 10,000 spawned ones that cannot run (one
container, sleeping), left by a daemon killed with SIGKILL."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from e2e.procs import APPS, ROOT, clean_env, leveret_cmd

pytestmark = pytest.mark.e2e

APP = os.path.join(APPS, "supervision.py")
FINISHED, OUTSTANDING = 50_000, 10_000
WORKLOAD = f"""
import asyncio
import leveret

double = leveret.Function.from_name("supervision", "double")
wait = leveret.Function.from_name("supervision", "wait")
assert sum(double.map(range({FINISHED}))) == {FINISHED} * ({FINISHED} - 1)

async def spawn_all():
    limit = asyncio.Semaphore(200)
    async def one():
        async with limit:
            return (await wait.spawn.aio(3600)).object_id
    return await asyncio.gather(*(one() for _ in range({OUTSTANDING})))

print(asyncio.run(spawn_all())[0])
"""
STILL_WAITING = """
import sys
import leveret

try:
    leveret.FunctionCall.from_id(sys.argv[1]).get(timeout=0.5)
except leveret.TimeoutError:
    print("still waiting")
"""


def wait_until(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{timeout} s passed before {what}")
        time.sleep(0.05)


def leveret(env, *args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(leveret_cmd(*args), env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.mark.timeout(600)
def test_server_start_after_a_killed_daemon_restores_ten_thousand_spawned_inputs_and_returns_ready(tmp_path):
    home = tmp_path / "home"
    env = clean_env(home)
    try:
        assert leveret(env, "server", "start").returncode == 0
        deployed = leveret(env, "deploy", APP)
        assert deployed.returncode == 0, deployed.stderr
        made = subprocess.run([sys.executable, "-c", WORKLOAD], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        assert made.returncode == 0, made.stderr
        first_call = made.stdout.split()[-1]
        killed = json.loads((home / "daemon.json").read_text())
        os.kill(killed["pid"], signal.SIGKILL)
        wait_until(lambda: not any(os.path.exists(f"/proc/{killed[pid]}") for pid in ("pid", "worker_pid")),
                   "the daemon and its worker (told by the kernel) ended")

        t0 = time.monotonic()
        started = leveret(env, "server", "start")
        took = time.monotonic() - t0
        assert started.returncode == 0, started.stdout + started.stderr
        assert started.stdout.startswith("leveret daemon started:"), started.stdout
        print(f"`leveret server start` returned after {took:.2f} s")

        log = (home / "daemon.log").read_text()
        assert f"the daemon before this one (pid {killed['pid']}, started" in log
        assert f"restoring {OUTSTANDING} input(s) of {OUTSTANDING} spawned or scheduled call(s)" in log
        assert re.search(rf"restored {OUTSTANDING} call\(s\) of wait: {OUTSTANDING} input\(s\) queued again", log), log
        again = json.loads((home / "daemon.json").read_text())
        assert again["url"] == killed["url"]   # its port back: clients find it where it was

        described = leveret(env, "function", "describe", "supervision", "wait")
        assert described.returncode == 0, described.stderr
        queued, running = map(int, re.search(r"backlog: +(\d+) queued, (\d+) running", described.stdout).groups())
        assert queued + running == OUTSTANDING, described.stdout
        waiting = subprocess.run([sys.executable, "-c", STILL_WAITING, first_call], env=env, capture_output=True,
                                 text=True, timeout=60)
        assert waiting.stdout.strip() == "still waiting", waiting.stdout + waiting.stderr
    finally:
        leveret(env, "server", "stop")
