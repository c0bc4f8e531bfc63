"""Finding (F3): a SIGKILL of the embedded daemon's worker stopped the server too, and silently
(nothing in daemon.log): a call running then got "cancelled: server shutting down" and its
retries=2 were never used. Now the daemon restarts its worker (after 0.5 s, doubling to 30 s),
daemon.log says which signal ended it, the server stays up, and the new worker takes the running
container over: the input finishes once. Real processes: `leveret server start`, its worker (crun as root), `leveret run`."""

import json
import os
import re
import signal
import subprocess

import pytest

from e2e.procs import APPS, ROOT, LineLog, clean_env, leveret_cmd

pytestmark = pytest.mark.e2e

APP = os.path.join(APPS, "supervision.py")


@pytest.fixture
def daemon(tmp_path):
    env = clean_env(tmp_path / "home")
    started = subprocess.run(leveret_cmd("server", "start"), env=env, capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    try:
        yield env, tmp_path / "home"
    finally:
        subprocess.run(leveret_cmd("server", "stop"), env=env, capture_output=True, timeout=120)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_killed_worker_is_restarted_and_the_call_it_ran_completes_in_the_container_it_takes_over(daemon):
    env, home = daemon
    before = json.loads((home / "daemon.json").read_text())
    run = subprocess.Popen(leveret_cmd("run", f"{APP}::slow", "--seconds", "4"), env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = LineLog(run.stdout)
    try:
        out.wait_for_line(r"\] started$", timeout=120)   # the input runs on the worker
        os.kill(before["worker_pid"], signal.SIGKILL)
        assert run.wait(timeout=120) == 0, out.text()
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    out.wait_closed()
    text = out.text()
    assert "'done'" in text.splitlines(), text
    # The new worker took the container over (tests/faults/test_worker_killed_reattach.py): the
    # input ran once, and finished there.
    assert len(re.findall(r"\] started$", text, re.M)) == 1, text
    assert "cancelled" not in text and "shutting down" not in text, text
    assert "`leveret worker --server" not in text, text                 # no advice to start one by hand

    log = (home / "daemon.log").read_text()
    assert re.search(rf"the worker \(pid {before['worker_pid']}\) was killed by SIGKILL after [\d.]+ s;"
                     r" starting another in 0.5 s", log), log
    after = json.loads((home / "daemon.json").read_text())
    assert after["pid"] == before["pid"] and alive(before["pid"])      # the server stayed up
    assert after["url"] == before["url"]
    assert after["worker_pid"] != before["worker_pid"] and alive(after["worker_pid"])
    assert not alive(before["worker_pid"])
