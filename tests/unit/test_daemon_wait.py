"""How `leveret server start` waits for the embedded daemon (_daemon.wait_ready): as long as it
says what it is doing, with a clear error and the end of its log when it ends or goes quiet.
The daemon here is a small stand-in process that speaks the same pipe protocol."""

import json
import os
import subprocess
import sys
import time

import pytest

from leveret import _daemon
from leveret.exception import ConnectionError

STAND_IN = """
import json, os, sys, time
fd, steps, step_s, then = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
print("stand-in daemon starting", flush=True)
for i in range(steps):
    time.sleep(step_s)
    os.write(fd, f"progress restoring calls: {i + 1} of {steps}\\n".encode())
if then == "ready":
    with open(os.path.join(os.environ["LEVERET_HOME"], "daemon.json"), "w") as f:
        json.dump({"pid": os.getpid(), "url": "http://127.0.0.1:1"}, f)
    os.write(fd, b"ready\\n")
    time.sleep(30)
elif then == "crash":
    print("leveret daemon exiting: OSError: the disk is full", flush=True)
    sys.exit(3)
else:
    time.sleep(30)   # quiet
"""


@pytest.fixture
def start(tmp_path, monkeypatch):
    monkeypatch.setenv("LEVERET_HOME", str(tmp_path))
    log_path = tmp_path / "daemon.log"
    procs = []

    def start(steps: int, step_s: float, then: str, **limits):
        read_end, write_end = os.pipe()
        with open(log_path, "ab") as log:
            proc = subprocess.Popen([sys.executable, "-c", STAND_IN, str(write_end), str(steps), str(step_s), then],
                                    stdout=log, stderr=log, pass_fds=(write_end,))
        procs.append(proc)
        os.close(write_end)
        said = []
        try:
            return proc, _daemon.wait_ready(proc, read_end, str(log_path), said.append, **limits), said
        finally:
            os.close(read_end)

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def test_it_waits_past_the_stall_limit_while_the_daemon_says_it_progresses(start):
    t0 = time.monotonic()
    proc, info, said = start(6, 0.25, "ready", stall_s=1.0)
    assert time.monotonic() - t0 > 1.0            # longer in all than the daemon may stay quiet
    assert info["pid"] == proc.pid
    assert said == [f"restoring calls: {i} of 6" for i in range(1, 7)]


def test_a_daemon_that_ends_before_it_is_ready_is_an_error_with_its_status_and_the_end_of_its_log(start):
    with pytest.raises(ConnectionError) as err:
        start(1, 0.0, "crash")
    text = str(err.value)
    assert text.startswith("the embedded Leveret daemon exited with status 3 before it was ready; the end of")
    assert "leveret daemon exiting: OSError: the disk is full" in text


def test_a_daemon_that_goes_quiet_is_stopped_and_named(start):
    with pytest.raises(ConnectionError) as err:
        start(1, 0.0, "quiet", stall_s=0.5)
    assert "said nothing for 0.5 s while starting (last: restoring calls: 1 of 1), and was stopped" in str(err.value)
    assert "stand-in daemon starting" in str(err.value)


def test_the_overall_cap_holds_even_while_it_progresses(start):
    with pytest.raises(ConnectionError, match=r"was not ready after 0.5 s, and was stopped"):
        start(20, 0.1, "ready", stall_s=5.0, cap_s=0.5)


@pytest.mark.parametrize("returncode, said", [(-9, "was killed by SIGKILL"), (-15, "was killed by SIGTERM"),
                                              (1, "exited with status 1"), (0, "exited with status 0")])
def test_a_workers_end_is_said_with_its_signal_or_status(returncode, said):
    from leveret.cli.daemon import describe_exit

    assert describe_exit(returncode) == said
