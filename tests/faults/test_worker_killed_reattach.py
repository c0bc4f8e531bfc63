"""Item 4 of the reliability issue, Nomad's client-state test: a worker SIGKILLed 10 times while its
container runs a long input. The container keeps running (its bootstrap connects again to each
worker that takes its place, its prints waiting meanwhile), each restarted worker takes it over
before it registers, the server keeps the input's attempt for it meanwhile, and the input finishes
once, in the container it started in. Real processes: `leveret server`, `leveret worker --runtime
crun` (as root) on one workdir, `leveret run`."""

import os
import re
import signal
import subprocess
import time

import pytest

from e2e.procs import APPS, ROOT, LineLog, leveret_cmd

pytestmark = [pytest.mark.e2e, pytest.mark.container, pytest.mark.timeout(300)]

APP = os.path.join(APPS, "reattach.py")
KILLS = 10


def crun_containers() -> set[str]:
    listed = subprocess.run(["crun", "list", "-q"], capture_output=True, text=True)
    return set(listed.stdout.split())


def test_a_worker_killed_10_times_takes_its_container_over_each_time_and_the_input_finishes_once(procs, tmp_path):
    if os.geteuid() != 0:
        pytest.fail("container tests need root (CI runs as root): run the suite as root")
    workdir = tmp_path / "worker"
    args = ("--runtime", "crun", "--warm-containers", "0", "--warm-sandboxes", "0")
    worker, log = procs.worker(workdir, *args)
    log.wait_for_line("registered as", timeout=120)
    env = {**procs.env, "LEVERET_SERVER_URL": procs.url, "LEVERET_TOKEN": "faults-token-123"}
    run = subprocess.Popen(leveret_cmd("run", f"{APP}::long", "--ticks", "45"), env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = LineLog(run.stdout)
    logs = [log]
    try:
        container = out.wait_for_line(r"started in (ct-\w+)", timeout=240).group(1)
        assert container in crun_containers()
        for kill in range(KILLS):
            time.sleep(1.0)
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            assert container in crun_containers(), f"kill {kill + 1}: the container died with its worker"
            worker, log = procs.worker(workdir, *args)
            logs.append(log)
            log.wait_for_line(rf"took over 1 container\(s\) .*{container} \(1 input\(s\)\)", timeout=30)
            log.wait_for_line("registered as", timeout=30)
        assert run.wait(timeout=120) == 0, out.text()
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        for i, worker_log in enumerate(logs):
            print(f"--- worker {i}\n{worker_log.text()}")   # shown when the test failed
    out.wait_closed()
    text = out.text()
    assert len(re.findall(r"started in ct-", text)) == 1, text             # it ran once
    assert text.count(f"finished in {container} after 45 ticks") == 1, text   # in the container it started in
    # Its prints waited for each new worker; what a killed worker had and had not yet sent is lost
    # with it (a line or so a kill).
    ticks = [int(n) for n in re.findall(r"\] tick (\d+)$", text, re.M)]
    assert ticks == sorted(ticks) and ticks[-1] >= 45 - 2 and len(ticks) >= 45 - 2 * KILLS, text
    assert "Traceback" not in text, text
    # the last worker stops it with the rest when told to
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    assert container not in crun_containers()
    assert not os.listdir(workdir / "attach")
